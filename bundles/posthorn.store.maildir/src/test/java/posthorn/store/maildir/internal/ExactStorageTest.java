package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Messages whose Maildir (LF) form would not serve back the bytes received (a bare LF, or CR CR LF)
 * are stored byte for byte, named with {@code ,S=} equal to {@code ,W=}, and served unchanged; every
 * other message keeps the LF form.
 */
class ExactStorageTest {
    private static final byte[] HEAD = ("From: a@example.org\r\nSubject: exact\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAIL = "\r\n--b--\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path home;
    Path maildir;
    StoreUser user;

    @BeforeEach
    void maildir() throws IOException {
        maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        user = new StoreUser("alice", home, null, null);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The case: a binary part of 7 bytes holding a bare LF. */
    static final byte[] BARE_LF = concat(HEAD, ascii("abc\ndef"), TAIL);
    static final byte[] CR_CR_LF = ascii("Subject: crcrlf\r\n\r\nline\r\r\nnext\r\n");
    static final byte[] LONE_CR_AT_END = ascii("Subject: cr\r\n\r\nbody\r\nend\r");
    static final byte[] BARE_LF_AND_CR_AT_END = ascii("Subject: both\r\n\r\nbare\nend\r");
    static final byte[] EIGHT_BIT = concat(HEAD, ascii("\u00ff\u0080\n\u00e9\n\n\r\u00fe\r\n\u0001\n"), TAIL);
    static final byte[] ORDINARY = ascii("Subject: plain\r\n\r\nline one\r\nline two\r\n");

    /** Appends through an upload written in pieces; returns the message file in cur/. */
    private Path appendAndCheck(UserMail mail, Mailbox box, byte[] message, int piece) throws Exception {
        List<Path> before = UploadTest.files(maildir.resolve("cur"));
        long uid;
        try (MessageUpload upload = mail.upload()) {
            UploadTest.write(upload, message, piece);
            assertEquals(message.length, upload.size());
            assertEquals(1, UploadTest.files(maildir.resolve("tmp")).size(), "one file in tmp/ while uploading");
            try (InputStream in = upload.open()) {
                assertArrayEquals(message, in.readAllBytes(), "the upload reads back as sent");
            }
            uid = box.append(upload, Set.of(), null);
        }
        assertEquals(List.of(), UploadTest.files(maildir.resolve("tmp")), "nothing left in tmp/");
        List<Path> cur = new ArrayList<>(UploadTest.files(maildir.resolve("cur")));
        cur.removeAll(before);
        assertEquals(1, cur.size());
        MessageMeta meta = MaildirStoreTest.added(box.sync()).get(0);
        assertEquals(uid, meta.uid());
        assertEquals(message.length, meta.size(), "RFC822.SIZE is the size received");
        try (InputStream in = box.openMessage(uid)) {
            assertArrayEquals(message, in.readAllBytes(), "served as received");
        }
        return cur.get(0);
    }

    private static long field(Path file, char key) {
        return MaildirFileName.sizeField(MaildirFileName.parse(file.getFileName().toString()).base(), key);
    }

    private void assertExact(Path file, byte[] message) throws IOException {
        assertArrayEquals(message, Files.readAllBytes(file), "stored byte for byte");
        assertEquals(message.length, field(file, 'S'), file.toString());
        assertEquals(message.length, field(file, 'W'), file.toString());
    }

    @Test
    void lossyMessagesAreStoredByteForByte() throws Exception {
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            for (byte[] message : List.of(BARE_LF, CR_CR_LF, BARE_LF_AND_CR_AT_END, EIGHT_BIT)) {
                for (int piece : new int[] {1, 2, 3, 7, 64, message.length}) {
                    assertExact(appendAndCheck(mail, box, message, piece), message);
                }
            }
        }
    }

    @Test
    void faithfulMessagesKeepTheLfForm() throws Exception {
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            for (byte[] message : List.of(ORDINARY, LONE_CR_AT_END)) {
                for (int piece : new int[] {1, 5, message.length}) {
                    Path file = appendAndCheck(mail, box, message, piece);
                    byte[] lf = ascii(new String(message, StandardCharsets.ISO_8859_1).replace("\r\n", "\n"));
                    assertArrayEquals(lf, Files.readAllBytes(file), "CRLF stored as LF");
                    assertEquals(lf.length, field(file, 'S'));
                    assertEquals(message.length, field(file, 'W'));
                    assertTrue(field(file, 'W') > field(file, 'S'));
                }
            }
        }
    }

    @Test
    void appendFromAStreamIsExactToo() throws Exception {
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            long uid = box.append(new ByteArrayInputStream(BARE_LF), Set.of(), null);
            MaildirStoreTest.added(box.sync());
            try (InputStream in = box.openMessage(uid)) {
                assertArrayEquals(BARE_LF, in.readAllBytes());
            }
            assertExact(UploadTest.files(maildir.resolve("cur")).get(0), BARE_LF);
        }
    }

    /** 200 KB of CRLF text whose first bare LF comes at 150 KB: the switch in mid-upload. */
    @Test
    void theSwitchHappensInTheMiddleOfABigUpload() throws Exception {
        ByteArrayOutputStream big = new ByteArrayOutputStream();
        big.writeBytes(ascii("Subject: big\r\n\r\n"));
        int line = 0;
        while (big.size() < 150 * 1024 - 100) {
            big.writeBytes(ascii("line " + line++ + " of a long message, ending in CRLF\r\n"));
        }
        while (big.size() < 150 * 1024 - 1) {
            big.write('x');
        }
        big.write('\r'); // a CR held across a piece boundary right before the switch point
        big.write('\n');
        big.writeBytes(ascii("bare\nafter\r\r\n"));
        while (big.size() < 200 * 1024) {
            big.writeBytes(ascii("more " + line++ + "\r\n"));
        }
        byte[] message = big.toByteArray();
        int firstBare = -1;
        for (int i = 0; i < message.length && firstBare < 0; i++) {
            if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) {
                firstBare = i;
            }
        }
        assertEquals(150 * 1024 + 5, firstBare);
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            for (int piece : new int[] {8192, 8193, 4096, 7777, 65536, message.length}) {
                assertExact(appendAndCheck(mail, box, message, piece), message);
            }
        }
    }

    @Test
    void copyAndMoveKeepAnExactMessageExact() throws Exception {
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user)) {
            mail.create("Other");
            mail.create("Third");
            try (Mailbox box = mail.open("INBOX", false)) {
                box.sync();
                long uid = box.append(new ByteArrayInputStream(BARE_LF), Set.of(), null);
                MaildirStoreTest.added(box.sync());
                Map<Long, Long> copied = box.copy(List.of(uid), "Other");
                assertEquals(1, copied.size());
                Map<Long, Long> moved = box.move(List.of(uid), "Third");
                assertEquals(1, moved.size());
            }
            for (String name : new String[] {"Other", "Third"}) {
                try (Mailbox box = mail.open(name, true)) {
                    MessageMeta m = MaildirStoreTest.added(box.sync()).get(0);
                    assertEquals(BARE_LF.length, m.size());
                    try (InputStream in = box.openMessage(m.uid())) {
                        assertArrayEquals(BARE_LF, in.readAllBytes(), name);
                    }
                }
                assertExact(UploadTest.files(maildir.resolve("." + name).resolve("cur")).get(0), BARE_LF);
            }
        }
    }

    /** Files other tools wrote: CRLF without sizes in the name, and LF with sizes, served as before. */
    @Test
    void filesOfOtherToolsAreServedAsBefore() throws Exception {
        byte[] crlf = ascii("Subject: crlf from elsewhere\r\n\r\nbody\r\n");
        byte[] lf = ascii("Subject: lf from elsewhere\n\nbody\n");
        Files.write(maildir.resolve("cur").resolve("1700000000.M1P1.host:2,S"), crlf);
        Files.write(maildir.resolve("cur").resolve("1700000001.M1P1.host,S=" + lf.length + ",W=" + (lf.length + 3)
                + ":2,S"), lf);
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                Mailbox box = mail.open("INBOX", true)) {
            List<MessageMeta> all = MaildirStoreTest.added(box.sync());
            assertEquals(2, all.size());
            try (InputStream in = box.openMessage(all.get(0).uid())) {
                assertArrayEquals(crlf, in.readAllBytes());
            }
            try (InputStream in = box.openMessage(all.get(1).uid())) {
                assertArrayEquals(ascii("Subject: lf from elsewhere\r\n\r\nbody\r\n"), in.readAllBytes());
            }
            // files without W= are measured when a size is asked for (store.api 1.5), not to open the folder
            assertEquals(MessageMeta.UNKNOWN_SIZE, all.get(0).size());
            assertEquals(crlf.length, box.size(all.get(0)));
            assertEquals(lf.length + 3, box.size(all.get(1)));
        }
    }

    /** The same at the level of the conversion, in memory, many more times. */
    @Test
    void randomLineEndsRoundTripInMemory() throws IOException {
        Random random = new Random(4);
        byte[] alphabet = {'a', '\r', '\n', '\r', '\n', 'b'};
        for (int round = 0; round < 20000; round++) {
            byte[] message = new byte[random.nextInt(30)];
            for (int i = 0; i < message.length; i++) {
                message[i] = alphabet[random.nextInt(alphabet.length)];
            }
            ByteArrayOutputStream lfForm = new ByteArrayOutputStream();
            ByteArrayOutputStream[] exact = new ByteArrayOutputStream[1];
            LineEnds.ToLf lf = new LineEnds.ToLf(lfForm, () -> {
                exact[0] = new ByteArrayOutputStream();
                exact[0].writeBytes(new CrlfInputStream(new ByteArrayInputStream(lfForm.toByteArray())).readAllBytes());
                return exact[0];
            });
            int piece = 1 + random.nextInt(5);
            for (int off = 0; off < message.length; off += piece) {
                lf.write(message, off, Math.min(piece, message.length - off));
            }
            LineEnds.Written w = lf.finish();
            byte[] stored = exact[0] != null ? exact[0].toByteArray() : lfForm.toByteArray();
            byte[] served = exact[0] != null ? stored
                    : new CrlfInputStream(new ByteArrayInputStream(stored)).readAllBytes();
            assertArrayEquals(message, served, () -> Arrays.toString(message));
            assertEquals(stored.length, w.diskSize());
            assertEquals(message.length, w.crlfSize());
            assertEquals(message.length, lf.received());
        }
    }

    /** Random mixes of CR, LF and text in random pieces: the upload always reads back as sent. */
    @Test
    void randomLineEndsRoundTrip() throws Exception {
        Random random = new Random(11);
        byte[] alphabet = {'a', '\r', '\n', '\r', '\n', 'b'};
        Path tmp = maildir.resolve("tmp");
        for (int round = 0; round < 100; round++) {
            byte[] message = new byte[random.nextInt(40)];
            for (int i = 0; i < message.length; i++) {
                message[i] = alphabet[random.nextInt(alphabet.length)];
            }
            int piece = 1 + random.nextInt(6);
            try (TmpMessage m = TmpMessage.create(tmp, () -> { })) {
                UploadTest.write(m, message, piece);
                LineEnds.Written w = m.finish();
                byte[] stored = Files.readAllBytes(m.file());
                assertEquals(stored.length, w.diskSize());
                try (InputStream in = m.open()) {
                    assertArrayEquals(message, in.readAllBytes(), () -> Arrays.toString(message) + " in " + piece);
                }
                assertEquals(message.length, w.crlfSize());
                boolean lossless = Arrays.equals(message,
                        new CrlfInputStream(new ByteArrayInputStream(
                                ascii(new String(message, StandardCharsets.ISO_8859_1).replace("\r\n", "\n"))))
                                .readAllBytes());
                if (lossless) {
                    assertArrayEquals(ascii(new String(message, StandardCharsets.ISO_8859_1).replace("\r\n", "\n")),
                            stored, "a message the LF form serves faithfully keeps it");
                } else {
                    assertArrayEquals(message, stored, "any other is stored as received");
                }
            }
            assertEquals(List.of(), UploadTest.files(tmp));
        }
    }
}
