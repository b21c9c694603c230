package posthorn.store.maildir.internal;

import java.util.Comparator;
import java.util.Set;
import java.util.TreeSet;

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

    /** Delivery order, for assigning UIDs to new messages: the time before the first '.', then the rest. */
    static final Comparator<String> DELIVERY_ORDER = Comparator
            .comparingLong(MaildirFileName::deliveryTime)
            .thenComparing(Comparator.naturalOrder());

    static MaildirFileName parse(String fileName) {
        int colon = fileName.indexOf(':');
        if (colon < 0) {
            return new MaildirFileName(fileName, fileName, Set.of(), "");
        }
        String base = fileName.substring(0, colon);
        String info = fileName.substring(colon + 1);
        if (!info.startsWith("2,")) {
            return new MaildirFileName(fileName, base, Set.of(), "");
        }
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

    /** A size field {@code ,S=n} or {@code ,W=n} from the base name, or -1. */
    static long sizeField(String base, char key) {
        String marker = "," + key + "=";
        int at = base.indexOf(marker);
        if (at < 0) {
            return -1;
        }
        int start = at + marker.length();
        int end = start;
        while (end < base.length() && Character.isDigit(base.charAt(end))) {
            end++;
        }
        if (end == start || end - start > 18) {
            return -1;
        }
        return Long.parseLong(base.substring(start, end));
    }

    static long deliveryTime(String base) {
        int dot = base.indexOf('.');
        String head = dot < 0 ? base : base.substring(0, dot);
        if (head.isEmpty() || head.length() > 18) {
            return Long.MAX_VALUE;
        }
        for (int i = 0; i < head.length(); i++) {
            if (!Character.isDigit(head.charAt(i))) {
                return Long.MAX_VALUE;
            }
        }
        return Long.parseLong(head);
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
