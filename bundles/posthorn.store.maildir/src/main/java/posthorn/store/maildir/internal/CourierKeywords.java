package posthorn.store.maildir.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Courier's {@code courierimapkeywords/} directory, in Courier's own format (learnt by running its
 * imapd under strace):
 * <ul>
 * <li>{@code :list}: the keyword names one a line, an empty line, then {@code BASENAME:i j k} per
 * message with keywords (indexes into the names, from 0).</li>
 * <li>{@code BASENAME}: an update for one message, written without a lock (tmp/ file, rename), holding
 * the message's whole keyword set one a line (empty: none). It overrides {@code :list}.</li>
 * <li>Under the folder lock, updates are merged into a new {@code :list}, and each merged update file is
 * renamed to {@code .N.BASENAME} (N = the 5-minute period it may be removed after), which readers
 * ignore.</li>
 * </ul>
 * Not thread-safe: the owning {@link MaildirFolder} calls it under its in-process lock.
 */
final class CourierKeywords {
    private static final Logger LOG = LoggerFactory.getLogger(CourierKeywords.class);
    static final String DIR = "courierimapkeywords";
    static final String LIST = ":list";
    /** Merge into :list once this many update files have piled up. */
    static volatile int mergeAt = 64;

    private final Path dir;
    private final Path folderTmp;
    private Object stamp;
    private Map<String, Set<String>> byBase = new HashMap<>();
    private int updates;

    CourierKeywords(Path folder) {
        this.dir = folder.resolve(DIR);
        this.folderTmp = folder.resolve("tmp");
    }

    /** The keywords of every message that has some, reread only if the directory changed. */
    Map<String, Set<String>> current() throws IOException {
        Object now = stampNow();
        if (now.equals(stamp)) {
            return byBase;
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            Object before = listKey();
            Map<String, Set<String>> m = readList();
            int n = 0;
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path p : files) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(".") || name.startsWith(":")) {
                        continue;
                    }
                    n++;
                    try {
                        Set<String> kw = parseUpdate(Files.readAllBytes(p));
                        if (kw.isEmpty()) {
                            m.remove(name);
                        } else {
                            m.put(name, kw);
                        }
                    } catch (NoSuchFileException e) {
                        // merged meanwhile: :list has it now; the key check below rereads
                    }
                }
            } catch (NoSuchFileException e) {
                // no keywords directory yet
            }
            if (Objects.equals(before, listKey())) {
                byBase = m;
                updates = n;
                stamp = now;
                return byBase;
            }
        }
        LOG.warn("{} keeps changing while read; using the last reading", dir);
        return byBase;
    }

    int pendingUpdates() {
        return updates;
    }

    /** Records one message's whole keyword set as Courier does: an update file, by rename. */
    void set(String base, Set<String> keywords) throws IOException {
        Object before = stampNow();
        ensureDir();
        StringBuilder text = new StringBuilder();
        for (String k : keywords) {
            text.append(k).append('\n');
        }
        Path t = folderTmp.resolve(MaildirFileName.unique() + "_kw");
        OwnerOnly.write(t, text.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Files.move(t, dir.resolve(base), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(t);
        }
        boolean fresh = before.equals(stamp);
        if (keywords.isEmpty()) {
            byBase.remove(base);
        } else {
            byBase.put(base, Set.copyOf(keywords));
        }
        updates++;
        // Our own write need not cause a reread, unless the directory had changed before it.
        stamp = fresh ? stampNow() : null;
    }

    /** Forgets an expunged message's update file, if any; :list entries go at the next merge. */
    void forget(String base) throws IOException {
        if (Files.deleteIfExists(dir.resolve(base))) {
            stamp = null;
        }
        byBase.remove(base);
    }

    /**
     * Writes a new :list holding the keywords of the live messages and retires the update files.
     * Caller holds the folder's dot lock (Courier merges under it too).
     */
    void merge(Set<String> liveBases) throws IOException {
        Map<String, Set<String>> m = current();
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> merged = new ArrayList<>();
        Map<Path, Object> keys = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            long period = Instant.now().getEpochSecond() / 300;
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (name.startsWith(":")) {
                    continue;
                }
                if (name.startsWith(".")) {
                    int dot = name.indexOf('.', 1);
                    try {
                        if (dot > 1 && Long.parseLong(name.substring(1, dot)) < period) {
                            Files.deleteIfExists(p);
                        }
                    } catch (NumberFormatException e) {
                        // not Courier's; leave it
                    }
                    continue;
                }
                merged.add(p);
                keys.put(p, fileKey(p));
            }
        }
        Map<String, Integer> index = new LinkedHashMap<>();
        StringBuilder entries = new StringBuilder();
        for (Map.Entry<String, Set<String>> e : m.entrySet()) {
            if (!liveBases.contains(e.getKey()) || e.getValue().isEmpty()) {
                continue;
            }
            entries.append(e.getKey()).append(':');
            boolean first = true;
            for (String k : e.getValue()) {
                Integer i = index.computeIfAbsent(k, x -> index.size());
                entries.append(first ? "" : " ").append(i);
                first = false;
            }
            entries.append('\n');
        }
        StringBuilder text = new StringBuilder();
        index.keySet().forEach(k -> text.append(k).append('\n'));
        text.append('\n').append(entries);
        Path t = folderTmp.resolve(MaildirFileName.unique() + "_kwlist");
        OwnerOnly.write(t, text.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Files.move(t, dir.resolve(LIST), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(t);
        }
        long expires = Instant.now().getEpochSecond() / 300 + 1;
        for (Path p : merged) {
            Path retired = p.resolveSibling("." + expires + "." + p.getFileName());
            try {
                Files.move(p, retired, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException e) {
                continue;
            }
            // A writer that replaced the update after we read it must not lose its update: put it back.
            if (!Objects.equals(keys.get(p), fileKey(retired))) {
                try {
                    Files.move(retired, p);
                } catch (FileAlreadyExistsException e) {
                    Files.deleteIfExists(retired); // an even newer update is there
                }
            }
        }
        stamp = null;
        byBase = m;
        current();
    }

    private Map<String, Set<String>> readList() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(dir.resolve(LIST));
        } catch (NoSuchFileException e) {
            return new HashMap<>();
        }
        Map<String, Set<String>> m = new HashMap<>();
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
        List<String> names = new ArrayList<>();
        int i = 0;
        for (; i < lines.length && !lines[i].isEmpty(); i++) {
            names.add(lines[i]);
        }
        for (i++; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.lastIndexOf(':');
            if (colon <= 0) {
                continue;
            }
            Set<String> kw = new LinkedHashSet<>();
            for (String n : line.substring(colon + 1).trim().split(" +")) {
                if (n.isEmpty()) {
                    continue;
                }
                try {
                    int k = Integer.parseInt(n);
                    if (k >= 0 && k < names.size()) {
                        kw.add(names.get(k));
                    }
                } catch (NumberFormatException e) {
                    LOG.warn("Ignoring a malformed line of {}: {}", dir.resolve(LIST), line);
                }
            }
            if (!kw.isEmpty()) {
                m.put(line.substring(0, colon), Set.copyOf(kw));
            }
        }
        return m;
    }

    private static Set<String> parseUpdate(byte[] bytes) {
        Set<String> kw = new LinkedHashSet<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            String k = line.trim();
            if (!k.isEmpty() && !k.startsWith("\\")) {
                kw.add(k);
            }
        }
        return Set.copyOf(kw);
    }

    private void ensureDir() throws IOException {
        if (!Files.isDirectory(dir)) {
            try {
                OwnerOnly.createDirectory(dir);
            } catch (FileAlreadyExistsException e) {
                // made meanwhile
            }
        }
    }

    private Object stampNow() {
        try {
            BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime(), String.valueOf(a.fileKey()), String.valueOf(listKey()));
        } catch (IOException e) {
            return List.of("none");
        }
    }

    private Object listKey() {
        return fileKey(dir.resolve(LIST));
    }

    private static Object fileKey(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return List.of(String.valueOf(a.fileKey()), a.lastModifiedTime(), a.size());
        } catch (IOException e) {
            return "none";
        }
    }
}
