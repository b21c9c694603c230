package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail is its owner's alone: every directory the store creates is 0700 and every file 0600, whatever
 * the umask. {@link ModesWorker} makes the store create every kind of file it creates (a missing home
 * and Maildir, folders, messages, the UID database, keywords, the index, subscriptions, ACL,
 * maildirsize, the dot lock, a corrupt database's copy); the test walks the home and finds no group or
 * other bit on anything.
 * Under the test JVM's own umask (022 here: a file it makes without a mode is 0644), and in child JVMs
 * under umask 000 and 022.
 */
class ModesTest {
    @TempDir
    Path home;

    private static final Set<PosixFilePermission> NOT_OWNER = Set.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    @Test
    void everythingTheStoreCreatesIsOwnerOnly() throws Exception {
        ModesWorker.exercise(home);
        assertOwnerOnly(home.resolve(ModesWorker.USER), "this JVM's umask");
    }

    @Test
    void underUmask000() throws Exception {
        runUnderUmask("000");
        assertEquals("rw-rw-rw-", modeOf(home.resolve(ModesWorker.CONTROL)), "the child ran under umask 000");
        assertOwnerOnly(home.resolve(ModesWorker.USER), "umask 000");
    }

    @Test
    void underUmask022() throws Exception {
        runUnderUmask("022");
        assertEquals("rw-r--r--", modeOf(home.resolve(ModesWorker.CONTROL)), "the child ran under umask 022");
        assertOwnerOnly(home.resolve(ModesWorker.USER), "umask 022");
    }

    @Test
    void aCopyIsOwnerOnlyWhateverTheSourcesModeAndKeepsItsDate() throws Exception {
        Path source = home.resolve("delivered-by-an-mda");
        Files.writeString(source, "readable by all\n");
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
        FileTime date = FileTime.fromMillis(1_600_000_000_000L);
        Files.setLastModifiedTime(source, date);
        Path copy = home.resolve("copy");
        OwnerOnly.copy(source, copy);
        assertEquals("rw-------", modeOf(copy));
        assertEquals(date, Files.getLastModifiedTime(copy));
        assertEquals("readable by all\n", Files.readString(copy));
    }

    private void runUnderUmask(String umask) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "umask " + umask + " && exec \"$@\"", "sh", java,
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ModesWorker.class.getName(), home.toString());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process child = pb.start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the worker ends");
        assertEquals(0, child.exitValue(), out);
        assertTrue(out.contains("DONE"), out);
    }

    /** Every directory and file under a user's home {@code top} (itself included) is 0700 or 0600 at most. */
    private static void assertOwnerOnly(Path top, String how) throws IOException {
        Map<String, Integer> modes = new TreeMap<>();
        List<String> open = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        try (Stream<Path> all = Files.walk(top)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                String mode = (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "d" : "-")
                        + PosixFilePermissions.toString(perms);
                modes.merge(mode, 1, Integer::sum);
                if (perms.stream().anyMatch(NOT_OWNER::contains)) {
                    open.add(mode + " " + top.relativize(p));
                }
                kinds.add(top.relativize(p).toString());
            }
        }
        System.out.println("ModesTest (" + how + "): modes seen " + modes);
        assertTrue(open.isEmpty(), open.size() + " with group or other bits under " + how + ", e.g. "
                + open.subList(0, Math.min(8, open.size())));
        assertTrue(kinds.contains("") && kinds.contains("Maildir"), "the home and the Maildir were made: " + kinds);
        for (String expected : List.of("cur", "new", "tmp", UidDb.FILE, FolderIndex.FILE, CourierKeywords.DIR,
                CourierKeywords.DIR + "/" + CourierKeywords.LIST, MaildirUserMail.SUBSCRIPTIONS, MaildirQuota.FILE,
                ".Sent/" + MaildirUserMail.FOLDER_MARKER, ".Sent/" + CourierAcl.FILE,
                ".Archive/" + UidDb.FILE + ".corrupt", "tmp/" + ModesWorker.LOCK_SEEN)) {
            assertTrue(kinds.contains("Maildir/" + expected), expected + " was made: " + kinds);
        }
        assertTrue(kinds.stream().anyMatch(k -> k.startsWith("Maildir/cur/")), "a message was delivered: " + kinds);
    }

    private static String modeOf(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
