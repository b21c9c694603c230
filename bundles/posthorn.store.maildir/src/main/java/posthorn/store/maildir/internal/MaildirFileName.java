package posthorn.store.maildir.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Comparator;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import posthorn.store.api.Flags;

/**
 * One message file name, {@code unique[:info]}. The base name (without the info part) identifies a
 * message for as long as it lives in the folder: flag changes rename the file but keep the base, so
 * the UID database, caches and views key by base. A name with no info, or with info other than
 * {@code 2,...}, is accepted as a message without flags.
 *
 * @param fileName     the whole name as on disk
 * @param base         the name without the info part
 * @param systemFlags  IMAP system flags from the info letters (D F R S T)
 * @param otherLetters info letters we do not interpret (e.g. Dovecot's keyword letters), kept on rename
 */
record MaildirFileName(String fileName, String base, Set<String> systemFlags, String otherLetters) {

    /** Delivery order, for giving UIDs to messages found without one: see {@link Delivery}. */
    static final Comparator<String> DELIVERY_ORDER = Comparator.comparing(Delivery::of);

    /**
     * Where a base name puts its message in the order of arrival. Unique Maildir names begin with the
     * delivery's second; within a second, what the rest of the unique part says, in the forms MDAs
     * write it (the part between the first and second dot):
     * <ul>
     * <li>{@code M<usec>P<pid>} (Dovecot), {@code M<usec>P<pid>V<dev>I<ino>_<n>} (Courier, V and I in
     * hex), {@code M<usec>P<pid>Q<n>} (Posthorn, Python), {@code P<pid>Q<n>}, {@code #<n>} (the
     * Maildir spec's letters): the microseconds first, then the process, then its delivery count;</li>
     * <li>{@code <pid>} and {@code <pid>_<n>} (qmail, mutt, old Dovecot): the process, then its
     * count.</li>
     * </ul>
     * A name that says nothing of a part sorts after those that do (microseconds, process) or before
     * them (count: a process's first delivery may have none); the whole name breaks ties, so the order
     * is total and the same in every process. Numbers compare as numbers: M100000 after M2401, Q10
     * after Q2, which string order gets wrong.
     */
    record Delivery(long second, long micros, long process, long count, String base) implements Comparable<Delivery> {
        private static final long UNSAID = Long.MAX_VALUE;

        static Delivery of(String base) {
            long second = deliveryTime(base);
            long micros = UNSAID;
            long process = UNSAID;
            long count = -1;
            int dot = base.indexOf('.');
            if (second != UNSAID && dot >= 0) {
                int end = base.indexOf('.', dot + 1);
                String unique = base.substring(dot + 1, end < 0 ? base.length() : end);
                int i = 0;
                while (i < unique.length()) {
                    char c = unique.charAt(i);
                    boolean bare = Character.isDigit(c); // qmail's "<pid>"
                    int radix = c == 'V' || c == 'I' || c == 'R' || c == 'X' ? 16 : 10;
                    int start = bare ? i : i + 1;
                    int stop = start;
                    while (stop < unique.length() && Character.digit(unique.charAt(stop), radix) >= 0) {
                        stop++;
                    }
                    if (stop == start) {
                        break; // a form not listed above: the rest says nothing we know
                    }
                    long value = stop - start > 15 ? UNSAID : Long.parseLong(unique, start, stop, radix);
                    switch (bare ? 'P' : c) {
                        case 'M' -> micros = value;
                        case 'P' -> process = value;
                        case 'Q', '#', '_' -> count = value;
                        default -> {
                            // V, I, R, X: device, inode, random: no order
                        }
                    }
                    i = stop;
                }
            }
            return new Delivery(second, micros, process, count, base);
        }

        @Override
        public int compareTo(Delivery o) {
            int c = Long.compare(second, o.second);
            if (c == 0) {
                c = Long.compare(micros, o.micros);
            }
            if (c == 0) {
                c = Long.compare(process, o.process);
            }
            if (c == 0) {
                c = Long.compare(count, o.count);
            }
            return c != 0 ? c : base.compareTo(o.base);
        }
    }

    private static final AtomicLong DELIVERY_COUNTER = new AtomicLong();
    private static final long PID = ProcessHandle.current().pid();
    private static final String HOST = maildirHost();

    /**
     * A name no other file in any Maildir will get: {@code time.M<micros>P<pid>Q<counter>.<host>}.
     * Used for deliveries and for every temporary file in tmp/ (which a Maildir reader ignores).
     */
    static String unique() {
        Instant now = Instant.now();
        return now.getEpochSecond() + ".M" + (now.getNano() / 1000) + "P" + PID + "Q"
                + DELIVERY_COUNTER.incrementAndGet() + "." + HOST;
    }

    /** This host's name as it appears in Maildir names and Courier's lock file. */
    static String host() {
        return HOST;
    }

    private static String maildirHost() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        // The Maildir spec's escapes for '/' and ':'; ',' too, since Maildir++ puts fields after it.
        return host.replace("/", "\\057").replace(":", "\\072").replace(",", "\\054");
    }

    /**
     * The system flags of every combination of the letters D F R S T (bit i for {@code LETTERS[i]}),
     * shared: a cold SELECT of 50,000 messages parses each name twice (BENCHMARKS.md, 2026-12-07).
     */
    private static final String LETTERS = "DFRST";
    private static final Set<String>[] FLAG_SETS = flagSets();

    @SuppressWarnings("unchecked")
    private static Set<String>[] flagSets() {
        Set<String>[] sets = new Set[1 << LETTERS.length()];
        for (int mask = 0; mask < sets.length; mask++) {
            Set<String> flags = new TreeSet<>();
            for (int i = 0; i < LETTERS.length(); i++) {
                if ((mask & (1 << i)) != 0) {
                    flags.add(flagOf(LETTERS.charAt(i)));
                }
            }
            sets[mask] = Set.copyOf(flags);
        }
        return sets;
    }

    /** The base of a file name (what comes before the info part), as {@link #parse} gives it. */
    static String baseOf(String fileName) {
        int colon = fileName.indexOf(':');
        return colon < 0 ? fileName : fileName.substring(0, colon);
    }

    static MaildirFileName parse(String fileName) {
        int colon = fileName.indexOf(':');
        if (colon < 0) {
            return new MaildirFileName(fileName, fileName, Set.of(), "");
        }
        String base = fileName.substring(0, colon);
        if (!fileName.startsWith("2,", colon + 1)) {
            return new MaildirFileName(fileName, base, Set.of(), "");
        }
        // The usual case: only system flag letters, each at most once. No allocation but the base.
        int mask = 0;
        boolean plain = true;
        for (int i = colon + 3; i < fileName.length() && plain; i++) {
            int bit = LETTERS.indexOf(fileName.charAt(i));
            plain = bit >= 0 && (mask & (1 << bit)) == 0;
            mask |= bit >= 0 ? 1 << bit : 0;
        }
        if (plain) {
            return new MaildirFileName(fileName, base, FLAG_SETS[mask], "");
        }
        String info = fileName.substring(colon + 1);
        Set<String> flags = new TreeSet<>();
        StringBuilder other = new StringBuilder();
        for (int i = 2; i < info.length(); i++) {
            char c = info.charAt(i);
            String flag = flagOf(c);
            if (flag != null) {
                flags.add(flag);
            } else if (c > 0x20 && c < 0x7f && c != ',' && other.indexOf(String.valueOf(c)) < 0) {
                other.append(c);
            }
        }
        return new MaildirFileName(fileName, base, Set.copyOf(flags), other.toString());
    }

    /** The file name in cur/ for this base with the given system flags; letters in ASCII order. */
    static String withFlags(String base, Set<String> systemFlags, String otherLetters) {
        TreeSet<Character> letters = new TreeSet<>();
        for (String flag : systemFlags) {
            char c = letterOf(flag);
            if (c != 0) {
                letters.add(c);
            }
        }
        for (char c : otherLetters.toCharArray()) {
            letters.add(c);
        }
        StringBuilder name = new StringBuilder(base.length() + 8).append(base).append(":2,");
        letters.forEach(name::append);
        return name.toString();
    }

    /**
     * Whether a message file is served as it is stored, not with every bare LF as CRLF: when its name
     * gives both sizes, on disk ({@code ,S=}) and as served ({@code ,W=}), and they are equal. That is
     * how the store names a message it keeps byte for byte (one its LF form would not serve back as
     * received). For any other file the rule changes nothing: a file in LF form with a line break
     * has W > S, and one that W == S describes truthfully has no LF without a CR before it.
     */
    static boolean servedAsStored(String base) {
        long s = sizeField(base, 'S');
        return s >= 0 && s == sizeField(base, 'W');
    }

    /** A size field {@code ,S=n} or {@code ,W=n} from the base name, or -1. */
    static long sizeField(String base, char key) {
        int at = -1;
        for (int i = base.indexOf(','); i >= 0 && i + 2 < base.length(); i = base.indexOf(',', i + 1)) {
            if (base.charAt(i + 1) == key && base.charAt(i + 2) == '=') {
                at = i;
                break;
            }
        }
        if (at < 0) {
            return -1;
        }
        int start = at + 3;
        int end = start;
        while (end < base.length() && Character.isDigit(base.charAt(end))) {
            end++;
        }
        if (end == start || end - start > 18) {
            return -1;
        }
        return Long.parseLong(base, start, end, 10);
    }

    static long deliveryTime(String base) {
        int dot = base.indexOf('.');
        int end = dot < 0 ? base.length() : dot;
        if (end == 0 || end > 18) {
            return Long.MAX_VALUE;
        }
        for (int i = 0; i < end; i++) {
            if (!Character.isDigit(base.charAt(i))) {
                return Long.MAX_VALUE;
            }
        }
        return Long.parseLong(base, 0, end, 10);
    }

    private static String flagOf(char c) {
        return switch (c) {
            case 'D' -> Flags.DRAFT;
            case 'F' -> Flags.FLAGGED;
            case 'R' -> Flags.ANSWERED;
            case 'S' -> Flags.SEEN;
            case 'T' -> Flags.DELETED;
            default -> null;
        };
    }

    private static char letterOf(String flag) {
        return switch (flag) {
            case Flags.DRAFT -> 'D';
            case Flags.FLAGGED -> 'F';
            case Flags.ANSWERED -> 'R';
            case Flags.SEEN -> 'S';
            case Flags.DELETED -> 'T';
            default -> 0;
        };
    }
}
