package posthorn.imap.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import posthorn.store.api.MessageUpload;

/**
 * An upload of the {@link MemoryStore}: a file in the store's upload directory while the message
 * arrives (so that, as with the Maildir store, no message is in the heap before its command completes,
 * and a test can see what is left behind), read into memory when a mailbox takes it.
 */
final class MemoryUpload implements MessageUpload {
    private final Path file;
    private final FileChannel channel;
    private long size;
    private boolean closed;

    MemoryUpload(Path dir) throws IOException {
        Files.createDirectories(dir);
        this.file = Files.createTempFile(dir, "upload", null);
        this.channel = FileChannel.open(file, StandardOpenOption.WRITE);
    }

    @Override
    public void write(ByteBuffer bytes) throws IOException {
        if (closed) {
            throw new IOException("upload closed");
        }
        while (bytes.hasRemaining()) {
            size += channel.write(bytes);
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public InputStream open() throws IOException {
        channel.force(false);
        return Files.newInputStream(file);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
