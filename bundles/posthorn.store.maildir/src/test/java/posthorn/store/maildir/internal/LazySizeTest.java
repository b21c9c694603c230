package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static posthorn.store.maildir.internal.MaildirStoreTest.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Opening a folder reads no message: RFC822.SIZE comes from the name's W= where it has one, else it is
 * unknown until asked for, then measured once and kept in posthorn.index.
 */
class LazySizeTest {
    @TempDir
    Path home;
    Path maildir;
    StoreUser user;

    /** LF line ends, named as an MDA names them: S= is the size on disk, not the CRLF size. */
    static final String PLAIN = "Subject: one\n\nline\nline\n";
    /** Named with W= by Courier or Dovecot: the CRLF size, exact. */
    static final String WITH_W = "Subject: two\n\nbody\n";

    @BeforeEach
    void maildir() throws IOException {
        maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        user = new StoreUser("alice", home, null, null);
        Files.writeString(maildir.resolve("cur/1700000001.M1P1.host,S=" + PLAIN.length() + ":2,S"), PLAIN,
                StandardCharsets.US_ASCII);
        long crlf = WITH_W.length() + WITH_W.chars().filter(c -> c == '\n').count();
        Files.writeString(maildir.resolve("cur/1700000002.M2P1.host,S=" + WITH_W.length() + ",W=" + crlf + ":2,"),
                WITH_W, StandardCharsets.US_ASCII);
    }

    static MaildirStore store() {
        return MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
    }

    @Test
    void sizesAreUnknownUntilAskedThenMeasuredOnceAndKept() throws Exception {
        long plainCrlf = PLAIN.length() + PLAIN.chars().filter(c -> c == '\n').count();
        long wCrlf = WITH_W.length() + WITH_W.chars().filter(c -> c == '\n').count();
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            List<MessageMeta> metas = box.messages();
            assertEquals(MessageMeta.UNKNOWN_SIZE, metas.get(0).size(), "not read to open the folder");
            assertEquals(wCrlf, metas.get(1).size(), "W= is the CRLF size");

            assertEquals(Map.of(1L, plainCrlf, 2L, wCrlf), box.sizes(List.of(1L, 2L, 99L)));
            assertEquals(plainCrlf, text(box, 1).length(), "the size is that of the text served");
            assertEquals(plainCrlf, box.size(box.messages().get(0)));
            assertEquals(plainCrlf, box.messages().get(0).size(), "the handle keeps what it measured");

            // a flag change (a rename) keeps the measured size: it belongs to the base name
            box.store(List.of(1L), FlagMode.ADD, Set.of(Flags.FLAGGED));
            ((MaildirMailbox) box).folder().flushIndex();
        }
        String index = Files.readString(maildir.resolve(FolderIndex.FILE));
        assertTrue(index.contains("1700000001.M1P1.host,S=" + PLAIN.length() + "\t" + plainCrlf + "\t"), index);
        try (UserMail mail = store().open(user); Mailbox box = mail.open("INBOX", true)) {
            box.sync();
            assertEquals(plainCrlf, box.messages().get(0).size(), "known from posthorn.index in another process");
        }
    }

    @Test
    void statusSizeMeasuresWhatIsUnknown() throws Exception {
        long plainCrlf = PLAIN.length() + PLAIN.chars().filter(c -> c == '\n').count();
        long wCrlf = WITH_W.length() + WITH_W.chars().filter(c -> c == '\n').count();
        try (UserMail mail = store().open(user)) {
            assertEquals(plainCrlf + wCrlf, mail.status("INBOX").size());
        }
    }

    @Test
    void copyAndMoveOfAnUnmeasuredMessageStayUnmeasuredAndExact() throws Exception {
        long plainCrlf = PLAIN.length() + PLAIN.chars().filter(c -> c == '\n').count();
        try (UserMail mail = store().open(user)) {
            mail.create("Other");
            try (Mailbox box = mail.open("INBOX", false); Mailbox other = mail.open("Other", false)) {
                box.sync();
                other.sync();
                box.copy(List.of(1L), "Other");
                box.move(List.of(1L), "Other");
                other.sync();
                assertEquals(2, other.messages().size());
                for (MessageMeta m : other.messages()) {
                    assertEquals(plainCrlf, other.size(m));
                    assertEquals(plainCrlf, text(other, m.uid()).length());
                }
            }
        }
    }
}
