package posthorn.store.maildir.internal;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * A second store process for the crash and concurrency tests: opens a Maildir and loops over APPEND,
 * STORE, COPY, MOVE and EXPUNGE until killed or done. Message n's path is fixed by n % 3: 0 stays in
 * INBOX, 1 is moved to Target, 2 is copied to Target and then expunged from INBOX. After
 * each append returns it prints {@code A MARKER UID}, so the parent knows what was acknowledged.
 *
 * <p>Arguments: MAILDIR FIRST_N COUNT (COUNT 0 = until killed).
 */
public final class StoreWorker {
    private StoreWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path maildir = Path.of(args[0]);
        long first = Long.parseLong(args[1]);
        long count = Long.parseLong(args[2]);
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        try (UserMail mail = store.open(new StoreUser("worker", null, maildir, null));
                Mailbox inbox = mail.open("INBOX", false)) {
            inbox.sync();
            System.out.println("READY");
            System.out.flush();
            for (long n = first; count == 0 || n < first + count; n++) {
                String marker = "m" + n;
                String text = "Subject: " + marker + "\r\nX-Marker: " + marker + "\r\n\r\n" + marker + "\r\n";
                long uid = inbox.append(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                        Set.of(n % 2 == 0 ? Flags.SEEN : "Kw" + (n % 5)), null);
                System.out.println("A " + marker + " " + uid);
                System.out.flush();
                for (Change c : inbox.sync()) {
                    if (c instanceof Change.UidValidityChanged) {
                        throw new IllegalStateException("UIDVALIDITY changed under the worker");
                    }
                }
                switch ((int) (n % 3)) {
                    case 1 -> inbox.move(List.of(uid), "Target");
                    case 2 -> {
                        Map<Long, Long> copied = inbox.copy(List.of(uid), "Target");
                        if (copied.size() != 1) {
                            throw new IllegalStateException("copy lost " + marker);
                        }
                        inbox.store(List.of(uid), FlagMode.ADD, Set.of(Flags.DELETED));
                        inbox.expunge(List.of(uid));
                    }
                    default -> inbox.store(List.of(uid), FlagMode.ADD, Set.of(Flags.FLAGGED));
                }
            }
        }
        System.out.println("DONE");
    }
}
