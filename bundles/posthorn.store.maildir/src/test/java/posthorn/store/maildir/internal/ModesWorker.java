package posthorn.store.maildir.internal;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Makes the store create every kind of file and directory it ever creates in a Maildir, for
 * {@link ModesTest}: in the test's JVM, or as a child JVM started under a given umask (Java cannot set
 * its own). Leaves {@code TOP/control}, written with the umask's default mode, so the test can see
 * which umask was in force, and {@code TOP/alice/Maildir/tmp/lock-seen}, a hard link to the dot lock
 * taken while it was held (the lock itself is gone afterwards).
 *
 * <p>Arguments: TOP.
 */
public final class ModesWorker {
    static final String CONTROL = "control";
    static final String LOCK_SEEN = "lock-seen";
    static final String USER = "alice";

    private ModesWorker() {
    }

    public static void main(String[] args) throws Exception {
        exercise(Path.of(args[0]));
        System.out.println("DONE");
    }

    /**
     * Creates, under {@code top}, a user's home ({@link #USER}), a Maildir in it and everything in the
     * Maildir, all through the store.
     */
    static void exercise(Path top) throws Exception {
        Files.writeString(top.resolve(CONTROL), "made with the umask's default mode\n");
        Path home = top.resolve(USER);
        Path maildir = home.resolve("Maildir");
        int mergeAt = CourierKeywords.mergeAt;
        CourierKeywords.mergeAt = 2; // so that :list is written too
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        StoreUser user = new StoreUser(USER, home, null, "100000000S,10000C"); // maildirsize
        try (UserMail mail = store.open(user)) { // the home, the Maildir, cur/ new/ tmp/
            mail.create("Sent"); // a folder, its cur/ new/ tmp/ and maildirfolder
            mail.create("Archive");
            mail.subscribe("Sent", true); // courierimapsubscribed
            try (Mailbox inbox = mail.open("INBOX", false)) {
                inbox.sync(); // courierimapuiddb
                long a = append(inbox, Set.of("Work")); // a message; courierimapkeywords/ and its update file
                long b = append(inbox, Set.of(Flags.SEEN, "Later"));
                append(inbox, Set.of());
                inbox.store(List.of(a), FlagMode.ADD, Set.of("Done", Flags.FLAGGED));
                inbox.sync(); // merges the keyword updates into :list
                inbox.copy(List.of(a), "Sent");
                inbox.move(List.of(b), "Archive");
                inbox.cache(a, "imap.envelope", "(NIL)".getBytes(StandardCharsets.US_ASCII)); // posthorn.index
                try (FolderLock.Held held = FolderLock.withFile(maildir)) {
                    Files.createLink(maildir.resolve("tmp").resolve(LOCK_SEEN), maildir.resolve("tmp/courier.lock"));
                }
            }
            try (Mailbox sent = mail.open("Sent", false); MessageUpload upload = mail.upload()) {
                sent.sync();
                // an APPEND's message, written into the Maildir's tmp/ as it arrives, then renamed
                upload.write(ByteBuffer.wrap("Subject: uploaded\r\n\r\nsecret\r\n".getBytes(StandardCharsets.US_ASCII)));
                sent.append(upload, Set.of(), null);
            }
            CourierAcl.write(maildir, maildir.resolve(".Sent"), Map.of("owner", "aceilrstwx")); // courierimapacl
            // A UID database the store cannot read is copied aside (courierimapuiddb.corrupt) and rebuilt.
            Path db = maildir.resolve(".Archive").resolve(UidDb.FILE);
            Files.delete(db); // a new file, with the umask's mode, as another program would leave it
            Files.writeString(db, "not a uid database\n");
            try (Mailbox archive = mail.open("Archive", false)) {
                archive.sync();
            }
        } finally {
            CourierKeywords.mergeAt = mergeAt;
            store.deactivate(); // writes the remaining indexes
        }
    }

    private static long append(Mailbox box, Set<String> flags) throws Exception {
        byte[] text = ("Subject: private\r\nFrom: a@example.org\r\n\r\nsecret " + flags + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        return box.append(new ByteArrayInputStream(text), flags, Instant.parse("2020-01-02T03:04:05Z"));
    }
}
