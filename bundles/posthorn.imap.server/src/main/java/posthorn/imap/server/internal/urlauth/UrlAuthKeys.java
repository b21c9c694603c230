package posthorn.imap.server.internal.urlauth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mailbox access keys of URLAUTH (RFC 4467 section 3): one random key per user and mailbox,
 * made by the first GENURLAUTH that needs it, replaced by RESETKEY, and the INTERNAL mechanism's
 * token, HMAC-SHA1 of the URL's rump under that key (section 7, as the RFC recommends).
 *
 * <p>Server state, not mail: kept under {@code $POSTHORN_VAR/urlauth/}, one file per user (its name
 * the login with every character outside {@code [A-Za-z0-9_-]} written {@code %XX}, so no login can
 * name a path elsewhere), mode 0600 whatever the umask, replaced atomically; a line is
 * {@code HEXKEY TAB base64url(mailbox)}, the mailbox being the store's name. A key is never logged.
 * Without a state directory the keys live in memory, lost at a restart (every URL then stops
 * working, as after RESETKEY). DELETE and RENAME drop the keys of the names they end
 * ({@link #forget}, {@link #forgetTree}): a URL names its mailbox (RFC 5092 section 3), so a URL of a
 * deleted or renamed mailbox must fail (RFC 4467 section 6.3: URLFETCH gives NIL for a URL that names
 * nothing), also once a new mailbox takes the old name; the file of a user who creates, signs and
 * deletes mailboxes does not grow. A user holds at most {@code maxKeys} keys ({@link #keyFor}), so
 * the file stays bounded even when keys outlive their mailbox in ways the server does not see (a
 * Maildir folder removed on disk). Thread-safe.
 */
public final class UrlAuthKeys {
    private static final Logger LOG = LoggerFactory.getLogger(UrlAuthKeys.class);
    private static final int KEY_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The keys of hosts without a state directory (tests, `posthorn imapd` without POSTHORN_VAR). */
    public static final UrlAuthKeys PROCESS = new UrlAuthKeys(null);

    private final Path dir;
    /** user -> mailbox -> key: the memory of a keeper without a directory. */
    private final Map<String, Map<String, byte[]>> memory = new HashMap<>();

    private UrlAuthKeys(Path dir) {
        this.dir = dir;
    }

    /** Keys kept in files under this directory (made when first needed). */
    public static UrlAuthKeys in(Path dir) {
        return new UrlAuthKeys(dir);
    }

    /** Keys in memory only. */
    public static UrlAuthKeys inMemory() {
        return new UrlAuthKeys(null);
    }

    /** The user already holds {@code max} keys and a new one was asked for (imapd.cfg urlauth.keys.max). */
    public static final class TooManyKeys extends Exception {
        private final int max;

        TooManyKeys(int max) {
            super("the user has keys for " + max + " mailboxes already (urlauth.keys.max=" + max
                    + "); RESETKEY without a mailbox drops them all");
            this.max = max;
        }

        public int max() {
            return max;
        }
    }

    /**
     * The user's key of the mailbox, made now if there is none.
     *
     * @param maxKeys the most keys the user may hold; a new key beyond it is refused
     * @throws TooManyKeys when the mailbox has no key and the user holds {@code maxKeys} already
     */
    public synchronized byte[] keyFor(String user, String mailbox, int maxKeys) throws IOException, TooManyKeys {
        Map<String, byte[]> keys = read(user);
        byte[] key = keys.get(mailbox);
        if (key == null) {
            if (keys.size() >= maxKeys) {
                throw new TooManyKeys(maxKeys);
            }
            key = new byte[KEY_BYTES];
            RANDOM.nextBytes(key);
            keys.put(mailbox, key);
            write(user, keys);
        }
        return key.clone();
    }

    /** The user's key of the mailbox, or null if none was made (no URL of it can be valid). */
    public synchronized byte[] existingKey(String user, String mailbox) throws IOException {
        byte[] key = read(user).get(mailbox);
        return key == null ? null : key.clone();
    }

    /**
     * RESETKEY mailbox: the key is dropped, so every URL made with it stops working; the next
     * GENURLAUTH of the mailbox makes a new one (a key is not made ahead: it would count against
     * the user's bound for nothing).
     */
    public synchronized void reset(String user, String mailbox) throws IOException {
        forget(user, mailbox);
    }

    /**
     * DELETE: the mailbox's key is dropped (the mailbox's inferiors keep theirs: RFC 3501 section
     * 6.3.4 leaves them in place). Returns whether there was one.
     */
    public synchronized boolean forget(String user, String mailbox) throws IOException {
        Map<String, byte[]> keys = read(user);
        if (keys.remove(mailbox) == null) {
            return false;
        }
        write(user, keys);
        return true;
    }

    /**
     * RENAME: the keys of the mailbox and of every name under it ({@code mailbox + separator + ...},
     * which RENAME moves along, RFC 3501 section 6.3.5) are dropped. Returns how many there were.
     */
    public synchronized int forgetTree(String user, String mailbox, char separator) throws IOException {
        Map<String, byte[]> keys = read(user);
        String under = mailbox + separator;
        int before = keys.size();
        keys.keySet().removeIf(name -> name.equals(mailbox) || name.startsWith(under));
        int dropped = before - keys.size();
        if (dropped > 0) {
            write(user, keys);
        }
        return dropped;
    }

    /** RESETKEY without a mailbox: every key of the user is dropped (new ones are made as needed). */
    public synchronized void resetAll(String user) throws IOException {
        write(user, new TreeMap<>());
    }

    /** RFC 4467 INTERNAL: HMAC-SHA1 of the rump URL (its exact text, up to the access identifier), hex. */
    public static String token(byte[] key, String rump) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            return HexFormat.of().formatHex(mac.doFinal(rump.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is part of every JDK", e);
        }
    }

    /** Whether {@code token} (lower-case hex) is the rump's under the key, compared in constant time. */
    public static boolean verify(byte[] key, String rump, String token) {
        return MessageDigest.isEqual(token(key, rump).getBytes(StandardCharsets.US_ASCII),
                token.getBytes(StandardCharsets.US_ASCII));
    }

    /** A login as a file name: [A-Za-z0-9_-] as they are, every other UTF-8 byte as %XX. */
    static String fileName(String user) {
        StringBuilder b = new StringBuilder();
        for (byte x : user.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
                b.append((char) c);
            } else {
                b.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
            }
        }
        return b.toString();
    }

    private Map<String, byte[]> read(String user) throws IOException {
        if (dir == null) {
            return memory.computeIfAbsent(user, u -> new TreeMap<>());
        }
        Map<String, byte[]> keys = new TreeMap<>();
        Path file = dir.resolve(fileName(user));
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                int tab = line.indexOf('\t');
                if (tab <= 0) {
                    continue;
                }
                try {
                    keys.put(new String(Base64.getUrlDecoder().decode(line.substring(tab + 1)), StandardCharsets.UTF_8),
                            HexFormat.of().parseHex(line, 0, tab));
                } catch (IllegalArgumentException e) {
                    LOG.warn("event=urlauth.keys.line.skipped file={} reason=\"not HEXKEY TAB base64url(mailbox)\"", file);
                }
            }
        } catch (NoSuchFileException e) {
            // no key made yet
        }
        return keys;
    }

    private void write(String user, Map<String, byte[]> keys) throws IOException {
        if (dir == null) {
            memory.put(user, keys);
            return;
        }
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, byte[]> e : keys.entrySet()) {
            text.append(HexFormat.of().formatHex(e.getValue())).append('\t')
                    .append(Base64.getUrlEncoder().withoutPadding().encodeToString(e.getKey().getBytes(StandardCharsets.UTF_8)))
                    .append('\n');
        }
        Path file = dir.resolve(fileName(user));
        Path tmp = dir.resolve(fileName(user) + ".tmp" + ProcessHandle.current().pid());
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.deleteIfExists(tmp);
        try {
            // tmp, fsync, rename: a crash (power loss included) leaves the old keys or the new ones, never
            // a renamed file whose data had not reached the disk (an empty file would void every URL)
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                    java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                java.nio.ByteBuffer data = java.nio.ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII));
                while (data.hasRemaining()) {
                    ch.write(data);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
