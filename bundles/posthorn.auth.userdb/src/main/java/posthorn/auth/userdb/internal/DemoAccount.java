package posthorn.auth.userdb.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.auth.support.crypt.CryptHash;

/**
 * The first-start demo account: when the configured userdb file does not exist, creates it with one
 * account {@code demo} (random password, SHA-512 crypt), the account's Maildir with a welcome
 * message, and a {@code demo-password} file beside the userdb file. Called once from activation,
 * before the service is used; an existing userdb file means nothing is done.
 */
final class DemoAccount {

    static final String USER = "demo";
    static final String PASSWORD_FILE = "demo-password";
    /** The system property the launcher sets: terminal, file or off (see {@link Mode}). */
    static final String MODE_PROPERTY = "posthorn.demo";

    /**
     * Whether and how the demo account may be made, as the launcher tells from the process's
     * standard output: the demo account is for a person trying the embedded default on a terminal.
     */
    enum Mode {
        /** Standard output is a terminal: made, and its password shown there (never in the log). */
        TERMINAL,
        /** Asked for without a terminal (POSTHORN_DEMO=yes, scripted tests): made; the password only in its file. */
        FILE,
        /** Neither (a supervisor, a pipe, a service manager): not made; one log line says why. */
        OFF;

        /** The launcher's value; FILE where there is none (embedded without the launcher: nothing to show it on). */
        static Mode of(String property) {
            if (property == null || property.isBlank()) {
                return FILE;
            }
            return switch (property.trim()) {
                case "terminal" -> TERMINAL;
                case "file" -> FILE;
                default -> OFF;
            };
        }
    }
    private static final Logger LOG = LoggerFactory.getLogger(DemoAccount.class);
    private static final String PASSWORD_CHARS =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final int PASSWORD_LENGTH = 16;
    private static final DateTimeFormatter RFC5322_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private DemoAccount() {
    }

    /**
     * Creates the demo account unless {@code userdb} exists (as a file or a directory), or the mode
     * says not to.
     *
     * @param out where the one-time banner with the password goes (standard output, a terminal)
     * @return whether it created the account
     */
    static boolean createIfMissing(Path userdb, Mode mode, PrintStream out) throws IOException {
        if (Files.exists(userdb)) {
            return false;
        }
        if (mode == Mode.OFF) {
            LOG.info("demo account not created: demo=true is for a start on a terminal, and standard output is not one"
                    + " (POSTHORN_DEMO=yes makes it anyway); {} stays missing", userdb);
            return false;
        }
        Path dir = userdb.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path home = dir.resolve("mail").resolve(USER);
        Path maildir = home.resolve("Maildir");
        if (home.toString().matches("(?s).*[|\\n\\t].*")) {
            throw new IOException("cannot create the demo account: userdb fields cannot hold '|', tab or"
                    + " newline, and the path has one: " + home);
        }
        SecureRandom random = new SecureRandom();
        char[] password = randomPassword(random);
        byte[] utf8 = new String(password).getBytes(StandardCharsets.UTF_8);
        String hash;
        try {
            hash = CryptHash.sha512(utf8, random);
        } finally {
            Arrays.fill(utf8, (byte) 0);
        }
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            createPrivateDirectories(maildir.resolve(sub));
        }
        // A run that stopped half way may have left the Maildir and password file: redo them
        // without a second welcome message.
        if (isEmpty(maildir.resolve("new")) && isEmpty(maildir.resolve("cur"))) {
            deliverWelcome(maildir, random);
        }
        Path passwordFile = dir.resolve(PASSWORD_FILE);
        Files.deleteIfExists(passwordFile);
        writePrivate(passwordFile, new String(password) + "\n");

        // The userdb file comes last, whole or not at all: its existence says the demo account is
        // complete. A hard link, unlike a rename, never replaces a file someone made meanwhile.
        String line = USER + "\thome=" + home + "|mail=" + maildir + "|systempw=" + hash + "\n";
        Path tmp = dir.resolve(".tmp." + userdb.getFileName());
        Files.deleteIfExists(tmp);
        writePrivate(tmp, "# Created by Posthorn for the demo account; see userdb(8) for the format.\n" + line);
        try {
            Files.createLink(userdb, tmp);
        } catch (FileAlreadyExistsException e) {
            LOG.warn("demo account not created: {} appeared meanwhile", userdb);
            return false;
        } catch (UnsupportedOperationException | IOException e) {
            Files.move(tmp, userdb); // no hard links here: fails too if the file exists
        } finally {
            Files.deleteIfExists(tmp);
        }
        if (mode == Mode.TERMINAL) {
            out.println("Posthorn demo account created: user " + USER + ", password " + new String(password)
                    + " (also in " + passwordFile + ")");
            out.flush();
        }
        Arrays.fill(password, '\0');
        LOG.info("demo account created in {}; its password is in {}", userdb, passwordFile);
        return true;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }

    private static char[] randomPassword(SecureRandom random) {
        char[] p = new char[PASSWORD_LENGTH];
        for (int i = 0; i < p.length; i++) {
            p[i] = PASSWORD_CHARS.charAt(random.nextInt(PASSWORD_CHARS.length()));
        }
        return p;
    }

    /**
     * Creates a directory and its missing parents, each new one owner-only (0700) whatever the umask,
     * as the Maildir store creates its own: the demo Maildir holds mail like any other.
     */
    private static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null) {
            createPrivateDirectories(parent);
        }
        Files.createDirectory(dir);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** Writes a new file with mode 0600 from its creation on, where the file system has modes. */
    private static void writePrivate(Path file, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            FileAttribute<?> mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
            Files.createFile(file, mode);
            // createFile's mode is masked by the umask; set it again so it is exactly 0600
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            Files.write(file, bytes, StandardOpenOption.TRUNCATE_EXISTING);
        } else {
            Files.write(file, bytes, StandardOpenOption.CREATE_NEW);
        }
        Arrays.fill(bytes, (byte) 0);
    }

    /**
     * Delivers the welcome message as a Maildir delivery agent does: written under tmp/, then
     * renamed into new/ under the same unique name (time.MusecPpid_random.host).
     */
    private static void deliverWelcome(Path maildir, SecureRandom random) throws IOException {
        ZonedDateTime now = ZonedDateTime.now();
        long micros = now.toInstant().getNano() / 1000;
        String host = "localhost";
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            // keep "localhost"
        }
        host = host.replace("/", "\\057").replace(":", "\\072");
        String unique = now.toEpochSecond() + ".M" + micros + "P" + ProcessHandle.current().pid() + "R"
                + HexFormat.of().formatHex(randomBytes(random))
                + "." + host;
        Path tmp = maildir.resolve("tmp").resolve(unique);
        writePrivate(tmp, welcome(now, random));
        Files.move(tmp, maildir.resolve("new").resolve(unique), StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] randomBytes(SecureRandom random) {
        byte[] b = new byte[4];
        random.nextBytes(b);
        return b;
    }

    /** An RFC 5322 message with LF line ends, as Maildir files keep them. */
    static String welcome(ZonedDateTime date, SecureRandom random) {
        String id = HexFormat.of().formatHex(randomBytes(random)) + "." + date.toEpochSecond();
        return String.join("\n",
                "From: Posthorn <postmaster@localhost>",
                "To: demo@localhost",
                "Subject: Welcome to Posthorn",
                "Date: " + RFC5322_DATE.format(date),
                "Message-ID: <" + id + "@localhost>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=UTF-8",
                "Content-Transfer-Encoding: 8bit",
                "",
                "Hello, and welcome to Posthorn.",
                "",
                "Posthorn is an IMAP4rev1 server written in Java. It serves mail from",
                "Maildir folders (Courier-compatible) and checks passwords against",
                "pluggable backends: a Courier userdb file like the one that holds this",
                "demo account, /etc/passwd, LDAP or SQL.",
                "",
                "This message sits in the demo account's Maildir. To read it with curl:",
                "",
                "  curl -u demo:PASSWORD 'imap://localhost:PORT/INBOX;UID=1'",
                "",
                "or with mutt:",
                "",
                "  mutt -f imap://demo@localhost:PORT/INBOX",
                "",
                "(PORT is the port set in config/imapd.cfg; the password is in the",
                "demo-password file beside the userdb file).",
                "",
                "Have fun,",
                "Posthorn",
                "");
    }
}
