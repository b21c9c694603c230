package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * APPEND's messages written as they arrive ({@link UserMail#upload()}): into the Maildir's tmp/, never
 * into the heap, then made the message by a rename, with the guarantees of every other delivery
 * (synced before it is renamed, nothing left behind, a crash leaves only a tmp/ file for the 36-hour
 * cleanup).
 */
class UploadTest {
    private static final byte[] MESSAGE = ("From: a@example.org\r\nSubject: uploaded\r\n\r\n"
            + "line one\r\nbare LF\nbare CR\rend\r\n").getBytes(StandardCharsets.US_ASCII);
    /** As the store serves it: as received, bare LF included (the file is stored byte for byte). */
    private static final byte[] SERVED = MESSAGE;

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

    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    /** Writes the message in pieces of {@code piece} bytes, as the session hands over a literal. */
    static void write(MessageUpload upload, byte[] message, int piece) throws IOException {
        for (int off = 0; off < message.length; off += piece) {
            upload.write(ByteBuffer.wrap(message, off, Math.min(piece, message.length - off)));
        }
    }

    @Test
    void anUploadBecomesTheMessageByARename() throws Exception {
        Instant date = Instant.parse("2021-03-04T05:06:07Z");
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user)) {
            mail.create("Sub");
            int appended = 0;
            for (int piece : new int[] {1, 2, 7, MESSAGE.length}) {
                Path folder = maildir.resolve(".Sub");
                try (MessageUpload upload = mail.upload(); Mailbox box = mail.open("Sub", false)) {
                    box.sync();
                    write(upload, MESSAGE, piece);
                    assertEquals(MESSAGE.length, upload.size());
                    List<Path> pending = files(maildir.resolve("tmp"));
                    assertEquals(1, pending.size(), "the upload is a file in the Maildir's tmp/");
                    Object inode = Files.readAttributes(pending.get(0), BasicFileAttributes.class).fileKey();

                    List<Path> before = files(folder.resolve("cur"));
                    long uid = box.append(upload, Set.of(Flags.SEEN), date);

                    assertEquals(List.of(), files(maildir.resolve("tmp")), "nothing left in tmp/");
                    assertEquals(List.of(), files(folder.resolve("tmp")));
                    // The new file, whatever its place in name order (unique names of one second do
                    // not sort by time: M99 comes after M100).
                    List<Path> cur = new java.util.ArrayList<>(files(folder.resolve("cur")));
                    cur.removeAll(before);
                    assertEquals(1, cur.size(), "one new file in cur/");
                    Path file = cur.get(0);
                    assertEquals(inode, Files.readAttributes(file, BasicFileAttributes.class).fileKey(),
                            "the same file, renamed, not a copy");
                    assertTrue(file.getFileName().toString().contains(",W=" + SERVED.length), file.toString());
                    assertTrue(file.getFileName().toString().endsWith(":2,S"), file.toString());
                    assertEquals(FileTime.from(date), Files.getLastModifiedTime(file));
                    MessageMeta m = MaildirStoreTest.added(box.sync()).get(0);
                    assertEquals(uid, m.uid());
                    assertEquals(SERVED.length, m.size());
                    assertEquals(date, m.internalDate());
                    try (InputStream in = box.openMessage(uid)) {
                        assertArrayEquals(SERVED, in.readAllBytes());
                    }
                }
                appended++;
                assertEquals(appended, files(folder.resolve("cur")).size(), "closing a spent upload removes nothing");
            }
            try (Mailbox box = mail.open("Sub", false)) {
                assertEquals(4, MaildirStoreTest.added(box.sync()).size());
            }
        }
    }

    @Test
    void anUploadClosedWithoutAppendLeavesNothing() throws Exception {
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user)) {
            MessageUpload upload = mail.upload();
            write(upload, MESSAGE, 5);
            assertEquals(1, files(maildir.resolve("tmp")).size());
            upload.close();
            upload.close();
            assertEquals(List.of(), files(maildir.resolve("tmp")));
            // an upload the session did not close goes when the user's mail closes
            write(mail.upload(), MESSAGE, 5);
        }
        assertEquals(List.of(), files(maildir.resolve("tmp")));
    }

    @Test
    void aRefusedUploadStaysTheCallersToClose() throws Exception {
        StoreUser small = new StoreUser("alice", home, null, (MESSAGE.length + 10) + "S");
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(small);
                Mailbox box = mail.open("INBOX", false)) {
            box.sync();
            try (MessageUpload first = mail.upload(); MessageUpload second = mail.upload()) {
                write(first, MESSAGE, 100);
                write(second, MESSAGE, 100);
                box.append(first, Set.of(), null);
                StoreException e = assertThrows(StoreException.class, () -> box.append(second, Set.of(), null));
                assertEquals(Reason.OVERQUOTA, e.reason());
                assertEquals(1, files(maildir.resolve("tmp")).size(), "the refused upload is still there");
            }
            assertEquals(List.of(), files(maildir.resolve("tmp")));
            assertEquals(1, MaildirStoreTest.added(box.sync()).size());
        }
    }

    @Test
    void aFolderOnAnotherFileSystemGetsACopy() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm)
                && !Files.getFileStore(shm).equals(Files.getFileStore(home)), "needs /dev/shm on another file system");
        Path elsewhere = Files.createTempDirectory(shm, "posthorn-upload");
        try {
            for (String sub : new String[] {"cur", "new", "tmp"}) {
                Files.createDirectories(elsewhere.resolve(sub));
            }
            Files.createFile(elsewhere.resolve(MaildirUserMail.FOLDER_MARKER));
            Files.createSymbolicLink(maildir.resolve(".Far"), elsewhere);
            try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                    Mailbox box = mail.open("Far", false);
                    MessageUpload upload = mail.upload()) {
                box.sync();
                write(upload, MESSAGE, 1000);
                long uid = box.append(upload, Set.of(), null);
                assertEquals(List.of(), files(maildir.resolve("tmp")));
                assertEquals(List.of(), files(elsewhere.resolve("tmp")));
                assertEquals(1, files(elsewhere.resolve("cur")).size());
                MaildirStoreTest.added(box.sync());
                assertEquals(SERVED.length, box.messages().get(0).size());
                assertEquals(uid, box.messages().get(0).uid());
            }
        } finally {
            try (Stream<Path> all = Files.walk(elsewhere)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * A process killed in the middle of an APPEND (SIGKILL, {@link UploadWorker}) leaves the partial
     * message in tmp/, where it is no message, is not taken away from a delivery that may still be
     * running, and goes once it is 36 hours old, as the Maildir convention says.
     */
    @Test
    void anUploadCutShortByAKillIsLeftForTheTmpCleanup() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process worker = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), UploadWorker.class.getName(), maildir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.US_ASCII))) {
            assertEquals("WRITING", out.readLine());
            worker.destroyForcibly(); // SIGKILL
            assertTrue(worker.waitFor(30, TimeUnit.SECONDS));
        }
        List<Path> left = files(maildir.resolve("tmp"));
        assertEquals(1, left.size(), "the cut-short upload stays in tmp/");
        assertTrue(Files.size(left.get(0)) > 0);
        try (UserMail mail = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE).open(user);
                Mailbox box = mail.open("INBOX", false)) {
            assertEquals(List.of(), MaildirStoreTest.added(box.sync()), "it is no message");
        }
        assertEquals(left, files(maildir.resolve("tmp")), "a fresh tmp/ file may be a delivery in progress");
        long in37Hours = System.currentTimeMillis() + 37 * 3600_000L;
        new DirectoryScan(maildir, () -> in37Hours).cleanTmp();
        assertFalse(Files.exists(left.get(0)), "36 hours later it is an abandoned delivery, and goes");
    }
}
