package posthorn.store.fts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Index files are 0600 from their creation, not only after the next commit (hostile2: a background
 * merge's segments stayed 0644 under umask 022). A file Lucene's FSDirectory creates gets the
 * process's umask mode, 0644 under the usual 022; through the wrapper it is 0600 while still open.
 */
class OwnerOnlyDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void outputsAreOwnerOnlyFromTheStart() throws IOException {
        try (FSDirectory plain = FSDirectory.open(tmp);
             OwnerOnlyDirectory d = new OwnerOnlyDirectory(FSDirectory.open(tmp))) {
            try (IndexOutput control = plain.createOutput("control", IOContext.DEFAULT)) {
                control.writeByte((byte) 1);
            }
            String umaskMode = PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("control")));
            try (IndexOutput out = d.createOutput("_0.cfs", IOContext.DEFAULT);
                 IndexOutput temp = d.createTempOutput("_0", "tmp", IOContext.DEFAULT)) {
                out.writeByte((byte) 1);
                temp.writeByte((byte) 1);
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("_0.cfs"))),
                        "a new segment file while open (the umask gives " + umaskMode + ")");
                assertEquals("rw-------", PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(tmp.resolve(temp.getName()))), "a temporary file");
            }
        }
    }
}
