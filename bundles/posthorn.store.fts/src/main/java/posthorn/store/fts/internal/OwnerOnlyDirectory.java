package posthorn.store.fts.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.FilterDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.util.IOUtils;

/**
 * A user's index directory whose every file is 0600 from the moment Lucene creates it, whatever the
 * umask. Lucene creates files with the umask's mode; making them 0600 after each commit (as before)
 * left the segments a background merge writes after the commit, and every file between its creation
 * and the next commit, readable by group and others under umask 022 (the hostile2 check found
 * {@code _2.cfs 644}). Merges, flushes and temporary files all pass through {@link #createOutput} or
 * {@link #createTempOutput} of the IndexWriter's directory, so restricting there covers them.
 */
final class OwnerOnlyDirectory extends FilterDirectory {
    private static final Set<PosixFilePermission> RW = PosixFilePermissions.fromString("rw-------");

    private final Path dir;
    private final boolean posix;

    OwnerOnlyDirectory(FSDirectory in) {
        super(in);
        this.dir = in.getDirectory();
        this.posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    @Override
    public IndexOutput createOutput(String name, IOContext context) throws IOException {
        return restricted(super.createOutput(name, context));
    }

    @Override
    public IndexOutput createTempOutput(String prefix, String suffix, IOContext context) throws IOException {
        return restricted(super.createTempOutput(prefix, suffix, context));
    }

    /** The output's file made 0600 before a byte is written to it; on failure the output is closed. */
    private IndexOutput restricted(IndexOutput out) throws IOException {
        if (!posix) {
            return out;
        }
        try {
            Path p = dir.resolve(out.getName());
            if (!Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(RW)) {
                Files.setPosixFilePermissions(p, RW);
            }
            return out;
        } catch (IOException | RuntimeException e) {
            IOUtils.closeWhileHandlingException(out);
            throw e;
        }
    }
}
