package posthorn.store.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A message on its way in: the server writes its bytes as they arrive from the client (an APPEND
 * literal), then adds it to a mailbox with {@link Mailbox#append(MessageUpload, java.util.Set,
 * java.time.Instant)}. The store keeps it out of the heap (Maildir: a file in the Maildir's tmp/, which
 * becomes the message by a rename), so a message of any size costs the server no memory.
 *
 * <p>Closing an upload that was not appended removes it. One the process could not close (a crash, a
 * kill) is left where Maildir readers ignore it and the store cleans it later (Maildir: tmp/ files
 * older than 36 hours). Not thread-safe: one session, one thread.
 */
@ProviderType
public interface MessageUpload extends AutoCloseable {

    /**
     * Adds bytes of the message, exactly as the client sends them (CRLF line ends); consumes
     * {@code bytes}.
     *
     * @throws IOException if they cannot be written (the disk is full): the upload is then useless
     */
    void write(ByteBuffer bytes) throws IOException;

    /** The bytes written so far. */
    long size();

    /**
     * The message, for a store that copies an upload rather than adopting it: as the store that made
     * the upload would serve it after an append (CRLF line ends, as IMAP counts them). Ends the writing;
     * the caller closes the stream.
     */
    InputStream open() throws IOException;

    /** Removes the upload unless a mailbox took it. Idempotent. */
    @Override
    void close();
}
