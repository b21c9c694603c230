package posthorn.store.maildir.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import posthorn.store.api.MessageUpload;

/**
 * A message being written into a tmp/ directory under a new unique name, in Maildir form (CRLF
 * stored as LF, its sizes counted on the way; a message that form would not serve back unchanged is
 * stored as received instead, see {@link LineEnds.ToLf}), and synced to disk before a folder delivers it by
 * renaming it into cur/. Every message the store writes from bytes goes through one of these: an
 * APPEND's upload ({@link MaildirUserMail#upload()}, in the Maildir's own tmp/) and an append from a
 * stream ({@link MaildirFolder#append}). The file is created here and nowhere else.
 *
 * <p>Until a folder takes it, the file is this object's: {@link #close} removes it. A process killed
 * before that leaves it in tmp/, which Maildir readers ignore and the store cleans after 36 hours.
 * Not thread-safe: one session's. {@link #close} may also come from the user's mail closing on
 * another thread (an admin kick), and is idempotent.
 */
final class TmpMessage implements MessageUpload {
    private volatile Path file;
    private volatile FileChannel channel;
    private OutputStream buffered;
    private final LineEnds.ToLf lf;
    private LineEnds.Written written;
    /** Delivered: the file is a message now and no longer this object's. */
    private boolean taken;
    private volatile boolean closed;
    private final Runnable onClose;

    private TmpMessage(Path file, FileChannel channel, Runnable onClose) {
        this.file = file;
        this.channel = channel;
        this.buffered = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
        this.lf = new LineEnds.ToLf(buffered, this::rewriteAsReceived);
        this.onClose = onClose;
    }

    /**
     * A new empty message file in {@code tmpDir}, owner-only (mode 0600) whatever the umask.
     *
     * @param onClose run once when the message is closed (taken or not)
     */
    static TmpMessage create(Path tmpDir, Runnable onClose) throws IOException {
        Path file = tmpDir.resolve(MaildirFileName.unique());
        FileChannel channel = OwnerOnly.createFile(file);
        return new TmpMessage(file, channel, onClose);
    }

    Path file() {
        return file;
    }

    @Override
    public void write(ByteBuffer bytes) throws IOException {
        checkWritable();
        if (bytes.hasArray()) {
            lf.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
            bytes.position(bytes.limit());
            return;
        }
        byte[] chunk = new byte[Math.min(bytes.remaining(), 8192)];
        while (bytes.hasRemaining()) {
            int n = Math.min(chunk.length, bytes.remaining());
            bytes.get(chunk, 0, n);
            lf.write(chunk, 0, n);
        }
    }

    /** Writes all of {@code in}, as a client sent it. */
    void write(InputStream in) throws IOException {
        checkWritable();
        in.transferTo(lf);
    }

    /**
     * The switch to storing the message as received ({@link LineEnds.ToLf}): the LF form written so far
     * is read back as it is served (the bytes received so far) into a new file under a new unique
     * name, which replaces the first; the rest of the message goes there unchanged.
     */
    private OutputStream rewriteAsReceived() throws IOException {
        buffered.flush();
        Path lfFile = file;
        Path exactFile = lfFile.resolveSibling(MaildirFileName.unique());
        FileChannel exactChannel = OwnerOnly.createFile(exactFile);
        OutputStream exactOut = new BufferedOutputStream(Channels.newOutputStream(exactChannel), 64 * 1024);
        try (InputStream in = new CrlfInputStream(Files.newInputStream(lfFile))) {
            in.transferTo(exactOut);
        } catch (IOException e) {
            exactChannel.close();
            Files.deleteIfExists(exactFile);
            throw e;
        }
        FileChannel lfChannel = channel;
        file = exactFile;
        channel = exactChannel;
        buffered = exactOut;
        lfChannel.close();
        Files.deleteIfExists(lfFile);
        if (closed) {
            // closed meanwhile from another thread (an admin kick): leave nothing behind
            exactChannel.close();
            Files.deleteIfExists(exactFile);
            throw new IOException("The message " + exactFile.getFileName() + " is no longer being written");
        }
        return exactOut;
    }

    @Override
    public long size() {
        return lf.received();
    }

    /**
     * Ends the writing: the last bytes written, the file synced to disk and closed. Idempotent.
     *
     * @return the sizes on disk and as served
     */
    LineEnds.Written finish() throws IOException {
        if (written == null) {
            checkWritable();
            LineEnds.Written w = lf.finish();
            buffered.flush();
            channel.force(true);
            channel.close();
            written = w;
        }
        return written;
    }

    /**
     * Moves the finished file into another tmp/ directory (the folder that delivers it), keeping its
     * name: a rename on the same file system, else a synced copy (a folder linked in from elsewhere).
     */
    void moveTo(Path tmpDir) throws IOException {
        Path target = tmpDir.resolve(file.getFileName());
        if (target.equals(file)) {
            return;
        }
        finish();
        try {
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            OwnerOnly.copy(file, target);
            Files.delete(file);
        }
        file = target;
    }

    /** A folder delivered the file: it is a message now, and {@link #close} leaves it. */
    void taken() {
        taken = true;
    }

    @Override
    public InputStream open() throws IOException {
        LineEnds.Written w = finish();
        InputStream in = Files.newInputStream(file);
        // stored as received when both sizes agree (the rule readers of the folder apply to ,S= and ,W=)
        return w.diskSize() == w.crlfSize() ? in : new CrlfInputStream(in);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
            if (!taken) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // left in tmp/, where Maildir readers ignore it and the 36-hour cleanup finds it
        } finally {
            onClose.run();
        }
    }

    private void checkWritable() throws IOException {
        if (closed || taken || written != null) {
            throw new IOException("The message " + file.getFileName() + " is no longer being written");
        }
    }
}
