package posthorn.store.maildir.internal;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * A store process for {@link UploadTest}: starts an upload in the Maildir given as the argument,
 * writes to it forever (an APPEND whose literal never ends) and says {@code WRITING} once the first
 * megabyte is written, for the test to kill it.
 */
public final class UploadWorker {
    private UploadWorker() {
    }

    public static void main(String[] args) throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        UserMail mail = store.open(new StoreUser("worker", null, Path.of(args[0]), null));
        MessageUpload upload = mail.upload();
        byte[] line = "0123456789 an endless line of a message being appended\r\n".getBytes();
        long written = 0;
        boolean said = false;
        while (true) {
            upload.write(ByteBuffer.wrap(line));
            written += line.length;
            if (!said && written > 1 << 20) {
                System.out.println("WRITING");
                System.out.flush();
                said = true;
                Thread.sleep(60_000);
            }
        }
    }
}
