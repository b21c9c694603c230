package posthorn.imap.server.internal.net;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * imapd.cfg's {@code rules} file and the rules in force from it. A name ending in {@code .cdb} is
 * read as the cdb tcprules writes, any other as tcprules' text. {@link #refresh} reads the file
 * again when it changed (its time, size or inode: tcprules renames a new cdb into place), when the
 * name in imapd.cfg changed, or when asked to; a file that cannot be read or is refused leaves the
 * rules in force as they were, and says so in one line (once per change of the file, not every
 * time it is looked at). Open sessions are never touched: the rules apply to new connections.
 * Thread-safe.
 */
public final class RulesFile {
    private static final Logger LOG = LoggerFactory.getLogger(RulesFile.class);

    /** What one refresh did, for the log and for {@code imap:reload}. */
    public record Outcome(boolean changed, boolean refused, String text) {
    }

    private record Stamp(String name, long modified, long size, Object key) {
    }

    private volatile AccessRules current = AccessRules.NONE;
    private String configured = "";
    private Stamp seen;

    /** The rules in force. */
    public AccessRules current() {
        return current;
    }

    /**
     * Reads a rules file, by its name's ending: the cdb tcprules writes, or tcprules' text.
     *
     * @throws AccessRules.Refused naming the file and why (with the line, in a text file)
     */
    public static AccessRules load(String name) throws AccessRules.Refused {
        Path p;
        try {
            p = Path.of(name);
        } catch (InvalidPathException e) {
            throw new AccessRules.Refused(name + ": not a file name");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(p)) {
            bytes = in.readNBytes(Cdb.MAX_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new AccessRules.Refused(name + ": no such file");
        } catch (IOException e) {
            throw new AccessRules.Refused(name + ": cannot read: " + e.getMessage());
        }
        if (bytes.length > Cdb.MAX_BYTES) {
            throw new AccessRules.Refused(name + ": larger than " + Cdb.MAX_BYTES + " bytes");
        }
        if (name.endsWith(".cdb")) {
            return AccessRules.parseCdb(name, bytes);
        }
        return AccessRules.parseText(name, new String(bytes, StandardCharsets.ISO_8859_1));
    }

    /**
     * Brings the rules in force up to date with the file imapd.cfg names.
     *
     * @param name  imapd.cfg's {@code rules}; empty for none (every client allowed)
     * @param force read the file even if it looks unchanged (SIGHUP, {@code imap:reload})
     */
    public synchronized Outcome refresh(String name, boolean force) {
        if (name.isBlank()) {
            if (configured.isEmpty()) {
                return new Outcome(false, false, "no rules file: every client allowed");
            }
            configured = "";
            seen = null;
            current = AccessRules.NONE;
            LOG.info("rules: none (imapd.cfg names no rules file): every client allowed");
            return new Outcome(true, false, "rules file dropped: every client allowed");
        }
        Stamp stamp = stamp(name);
        boolean renamed = !name.equals(configured);
        if (!force && !renamed && Objects.equals(stamp, seen)) {
            return new Outcome(false, false, name + ": unchanged");
        }
        configured = name;
        seen = stamp;
        AccessRules next;
        try {
            next = load(name);
        } catch (AccessRules.Refused e) {
            String keep = current == AccessRules.NONE ? "no rules in force (every client allowed)"
                    : "the previous rules stay in force";
            LOG.error("rules: {} refused: {}; {}", name, e.getMessage(), keep);
            return new Outcome(false, true, "refused: " + e.getMessage() + "; " + keep);
        }
        String text = name + ": " + next.rules().size() + " rules from " + next.source();
        boolean same = next.source().equals(current.source()) && next.rules().equals(current.rules());
        current = next;
        if (same) {
            return new Outcome(false, false, text + ", as before");
        }
        LOG.info("rules: {} loaded", text);
        if (!next.unknownSettings().isEmpty()) {
            LOG.warn("rules: {}: settings Posthorn does not read, ignored: {}", name, next.unknownNames());
        }
        return new Outcome(true, false, text);
    }

    /** What tells a changed file: time, size, inode; null when it cannot be seen. */
    private static Stamp stamp(String name) {
        try {
            BasicFileAttributes a = Files.readAttributes(Path.of(name), BasicFileAttributes.class);
            return new Stamp(name, a.lastModifiedTime().toMillis(), a.size(), a.fileKey());
        } catch (IOException | InvalidPathException e) {
            return null;
        }
    }

    private static final ExecutorService LOOKUPS = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("rules-dns-", 0).factory());

    /**
     * The client's host name as tcpserver's -p (paranoid) takes it: the reverse lookup's name, and
     * only if that name resolves back to the address (the JDK checks both ways), within
     * {@code timeoutMillis}; null if there is none, it does not check out, or it takes too long.
     */
    public static String hostName(InetAddress address, long timeoutMillis) {
        if (timeoutMillis <= 0) {
            return null;
        }
        Future<String> f = LOOKUPS.submit(() -> {
            InetAddress fresh = InetAddress.getByAddress(address.getAddress());
            String name = fresh.getCanonicalHostName();
            return name.equals(fresh.getHostAddress()) ? null : name;
        });
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return null;
        } catch (ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
