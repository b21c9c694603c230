package posthorn.imap.server.internal.urlauth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UrlAuthKeysTest {

    /**
     * RFC 4467 section 10's URL, signed with a fixed key (the bytes 0..31): the INTERNAL token is
     * HMAC-SHA1 of the rump, here as Python's hmac module computes it
     * ({@code hmac.new(bytes(range(32)), rump, hashlib.sha1).hexdigest()}).
     */
    @Test
    void internalTokenIsHmacSha1OfTheRump() {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) i;
        }
        String rump = "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred";
        assertEquals("db1589be4a824223fcc168c923e08ae6bdb5ec6f", UrlAuthKeys.token(key, rump));
        assertTrue(UrlAuthKeys.verify(key, rump, "db1589be4a824223fcc168c923e08ae6bdb5ec6f"));
        assertFalse(UrlAuthKeys.verify(key, rump, "db1589be4a824223fcc168c923e08ae6bdb5ec6e"));
        assertFalse(UrlAuthKeys.verify(key, rump.replace("fred", "fret"), "db1589be4a824223fcc168c923e08ae6bdb5ec6f"));
        // the RFC's own token is for a key nobody knows: it does not verify under this one
        assertFalse(UrlAuthKeys.verify(key, rump, "91354a473744909de610943775f92038"));
    }

    @Test
    void keysAreKeptOwnerOnlyAndSurviveARestart(@TempDir Path var) throws Exception {
        Path dir = var.resolve("urlauth");
        UrlAuthKeys keys = UrlAuthKeys.in(dir);
        assertNull(keys.existingKey("joe", "INBOX"));
        byte[] k = keys.keyFor("joe", "INBOX", 10);
        assertEquals(32, k.length);
        assertArrayEquals(k, keys.keyFor("joe", "INBOX", 10));
        assertArrayEquals(k, UrlAuthKeys.in(dir).existingKey("joe", "INBOX"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("joe"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        // another mailbox, another key; RESETKEY of one changes only it
        byte[] sent = keys.keyFor("joe", "Sent/2026 ü", 10);
        assertNotEquals(List.of(k), List.of(sent));
        keys.reset("joe", "INBOX");
        assertFalse(java.util.Arrays.equals(k, keys.existingKey("joe", "INBOX")));
        assertArrayEquals(sent, UrlAuthKeys.in(dir).existingKey("joe", "Sent/2026 ü"));
        keys.resetAll("joe");
        assertNull(keys.existingKey("joe", "INBOX"));
        assertNull(keys.existingKey("joe", "Sent/2026 ü"));
    }

    /**
     * DELETE drops one key, RENAME the mailbox's and those under it (not a sibling that only shares a
     * prefix); the file shrinks back, so create-sign-delete cycles do not grow it; the bound refuses a
     * key beyond it but still gives the keys that exist.
     */
    @Test
    void forgettingKeepsTheFileBoundedAndTheBoundRefusesMore(@TempDir Path var) throws Exception {
        Path dir = var.resolve("urlauth");
        UrlAuthKeys keys = UrlAuthKeys.in(dir);
        byte[] inbox = keys.keyFor("joe", "INBOX", 3);
        long size = Files.size(dir.resolve("joe"));
        for (int i = 0; i < 50; i++) {
            keys.keyFor("joe", "Tmp", 3);
            assertTrue(keys.forget("joe", "Tmp"));
        }
        assertEquals(size, Files.size(dir.resolve("joe")));
        assertFalse(keys.forget("joe", "Tmp"));
        keys.keyFor("joe", "A", 3);
        keys.keyFor("joe", "A/B", 3);
        assertThrows(UrlAuthKeys.TooManyKeys.class, () -> keys.keyFor("joe", "AB", 3));
        assertArrayEquals(inbox, keys.keyFor("joe", "INBOX", 3));
        assertEquals(2, keys.forgetTree("joe", "A", '/'));
        keys.keyFor("joe", "AB", 3);
        assertEquals(0, keys.forgetTree("joe", "A", '/'));
        assertNotNull(UrlAuthKeys.in(dir).existingKey("joe", "AB"));
        assertArrayEquals(inbox, UrlAuthKeys.in(dir).existingKey("joe", "INBOX"));
        assertNull(UrlAuthKeys.in(dir).existingKey("joe", "A/B"));
        // another user's keys are another file, and their own bound
        keys.keyFor("ann", "A", 3);
        assertNotNull(keys.existingKey("joe", "AB"));
    }

    /** A login cannot name a file outside the directory, nor another login's file. */
    @Test
    void loginsBecomeSafeFileNames(@TempDir Path var) throws Exception {
        assertEquals("%2E%2E%2Fetc%2Fpasswd", UrlAuthKeys.fileName("../etc/passwd"));
        assertEquals("joe%40example%2Ecom", UrlAuthKeys.fileName("joe@example.com"));
        assertNotEquals(UrlAuthKeys.fileName("a%41"), UrlAuthKeys.fileName("aA"));
        UrlAuthKeys keys = UrlAuthKeys.in(var.resolve("urlauth"));
        keys.keyFor("../escape", "INBOX", 10);
        try (var files = Files.list(var)) {
            assertEquals(List.of(var.resolve("urlauth")), files.toList());
        }
    }
}
