package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;

/**
 * Maildir++ quota: {@code maildirsize} in the Maildir root. Line 1 is the definition
 * ({@code 1000000S,1000C}); every further line is {@code BYTES COUNT}, a delta (negative on removal)
 * appended by whoever changed the Maildir, in one write(2) with O_APPEND so that writers never
 * interleave. The sum of the lines is the usage. The file is recalculated (every folder's cur/ and
 * new/ measured, by the S= size in the name where there is one) when it is missing, when its
 * definition differs from the user's, or when it has grown past {@value #RECALC_AT} bytes (the
 * Maildir++ rule). Thread-safe; recalculation runs under the root's dot lock.
 */
final class MaildirQuota {
    private static final Logger LOG = LoggerFactory.getLogger(MaildirQuota.class);
    static final String FILE = "maildirsize";
    static final int RECALC_AT = 5120;

    /** A quota definition; -1 means no limit for that resource. */
    record Def(long bytes, long count) {
        boolean none() {
            return bytes < 0 && count < 0;
        }

        String text() {
            StringBuilder s = new StringBuilder();
            if (bytes >= 0) {
                s.append(bytes).append('S');
            }
            if (count >= 0) {
                s.append(s.isEmpty() ? "" : ",").append(count).append('C');
            }
            return s.toString();
        }
    }

    record Usage(Def def, long bytes, long count) {
    }

    private final Path root;
    private final Def configured;

    /** @param configured the user record's quota (Maildir++ form), or null to use the file's own */
    MaildirQuota(Path root, String configured) {
        this.root = root;
        this.configured = configured == null || configured.isBlank() ? null : parseDef(configured.trim());
    }

    static Def parseDef(String text) {
        long bytes = -1;
        long count = -1;
        for (String part : text.split(",")) {
            part = part.trim();
            if (part.length() < 2) {
                continue;
            }
            try {
                long v = Long.parseLong(part.substring(0, part.length() - 1));
                switch (part.charAt(part.length() - 1)) {
                    case 'S' -> bytes = v;
                    case 'C' -> count = v;
                    default -> LOG.debug("Ignoring quota part {}", part);
                }
            } catch (NumberFormatException e) {
                LOG.warn("Ignoring malformed quota part '{}'", part);
            }
        }
        return new Def(bytes, count);
    }

    /** Current usage, recalculating if the file is missing, outdated or too long; null if no quota. */
    Usage usage() throws StoreException {
        try {
            Usage u = read();
            if (u != null && (configured == null || configured.equals(u.def())) && !tooLong()) {
                return u;
            }
            Def def = configured != null ? configured : u == null ? null : u.def();
            if (def == null || def.none() && u == null) {
                return null;
            }
            return recalculate(def);
        } catch (IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot read " + root.resolve(FILE), e);
        }
    }

    /** Throws OVERQUOTA if adding this much would exceed the quota. */
    void check(long addBytes, long addCount) throws StoreException {
        Usage u = usage();
        if (u == null) {
            return;
        }
        Def d = u.def();
        if ((d.bytes() >= 0 && addBytes > 0 && u.bytes() + addBytes > d.bytes())
                || (d.count() >= 0 && addCount > 0 && u.count() + addCount > d.count())) {
            throw new StoreException(Reason.OVERQUOTA, "Over quota: " + u.bytes() + " of " + d.bytes() + " bytes, "
                    + u.count() + " of " + d.count() + " messages");
        }
    }

    /** Records a change of usage, if the Maildir has a quota file. */
    void add(long bytes, long count) {
        if (bytes == 0 && count == 0) {
            return;
        }
        Path file = root.resolve(FILE);
        if (!Files.exists(file)) {
            return;
        }
        byte[] line = (bytes + " " + count + "\n").getBytes(StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(line));
        } catch (NoSuchFileException e) {
            // removed meanwhile: the next reader recalculates
        } catch (IOException e) {
            LOG.warn("Cannot update {}: {}", file, e.toString());
        }
    }

    private boolean tooLong() {
        try {
            return Files.size(root.resolve(FILE)) > RECALC_AT;
        } catch (IOException e) {
            return false;
        }
    }

    private Usage read() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(root.resolve(FILE), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (lines.isEmpty()) {
            return null;
        }
        Def def = parseDef(lines.get(0));
        long bytes = 0;
        long count = 0;
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).trim().split("\\s+");
            if (f.length != 2) {
                if (!lines.get(i).isBlank()) {
                    LOG.warn("Ignoring malformed line {} of {}", i + 1, root.resolve(FILE));
                }
                continue;
            }
            try {
                bytes += Long.parseLong(f[0]);
                count += Long.parseLong(f[1]);
            } catch (NumberFormatException e) {
                LOG.warn("Ignoring malformed line {} of {}", i + 1, root.resolve(FILE));
            }
        }
        return new Usage(def, Math.max(0, bytes), Math.max(0, count));
    }

    private Usage recalculate(Def def) throws IOException {
        try (FolderLock.Held held = FolderLock.withFile(root)) {
            long[] total = new long[2];
            measure(root, total);
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, ".?*")) {
                for (Path d : dirs) {
                    String n = d.getFileName().toString();
                    if (!n.equals("..") && FolderNames.fromDirectory(n).isPresent() && Files.isDirectory(d)) {
                        measure(d, total);
                    }
                }
            }
            String text = def.text() + "\n" + total[0] + " " + total[1] + "\n";
            Path tmp = root.resolve("tmp").resolve(MaildirFileName.unique() + "_maildirsize");
            OwnerOnly.write(tmp, text.getBytes(StandardCharsets.US_ASCII));
            try {
                Files.move(tmp, root.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            LOG.info("Recalculated {}: {} bytes, {} messages", root.resolve(FILE), total[0], total[1]);
            return new Usage(def, total[0], total[1]);
        }
    }

    private static void measure(Path folder, long[] total) throws IOException {
        for (String sub : new String[] {"cur", "new"}) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder.resolve(sub))) {
                for (Path p : files) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(".")) {
                        continue;
                    }
                    long s = MaildirFileName.sizeField(MaildirFileName.parse(name).base(), 'S');
                    if (s < 0) {
                        try {
                            s = Files.size(p);
                        } catch (NoSuchFileException e) {
                            continue;
                        }
                    }
                    total[0] += s;
                    total[1]++;
                }
            } catch (NoSuchFileException e) {
                // a folder without new/ or cur/: nothing to count there
            }
        }
    }
}
