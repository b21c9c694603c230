package posthorn.imap.server.internal.acl;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import posthorn.imap.protocol.ProtocolException;
import posthorn.store.api.AclEntry;
import posthorn.store.api.Flags;
import posthorn.store.api.StoreException;

/**
 * RFC 4314 rights and Courier's rules for combining them (ACL2=UNION): the rights of a user are the
 * union of the rights of every identifier that names the user, less the union of the negative rights
 * of those identifiers; the owner always has {@code a}. Rights are strings of letters in the order of
 * {@link #ALL}; {@code c} and {@code d} are RFC 2086's virtual rights, never stored (section 2.1.1:
 * {@code c} is {@code k}, as Courier uses it; {@code d} is {@code x t e}).
 */
public final class Rights {
    /** Every right this server knows and enforces, in the order responses list them. */
    public static final String ALL = "lrswipkxtea";
    /** RIGHTS= (RFC 4314 5.1.1): the rights beyond RFC 2086's. */
    public static final String CAPABILITY = "RIGHTS=texk";
    /** Rights of which MYRIGHTS needs one (RFC 4314 4). */
    static final String ANY = "lrikxa";

    private Rights() {
    }

    /** The letters of {@code rights} this server knows, in {@link #ALL}'s order. */
    public static String normal(String rights) {
        StringBuilder b = new StringBuilder();
        for (char c : ALL.toCharArray()) {
            if (rights.indexOf(c) >= 0) {
                b.append(c);
            }
        }
        return b.toString();
    }

    public static boolean has(String rights, char right) {
        return rights.indexOf(right) >= 0;
    }

    public static boolean hasAny(String rights, String any) {
        for (char c : any.toCharArray()) {
            if (rights.indexOf(c) >= 0) {
                return true;
            }
        }
        return false;
    }

    static String union(String a, String b) {
        return normal(a + b);
    }

    static String minus(String a, String b) {
        StringBuilder out = new StringBuilder();
        for (char c : a.toCharArray()) {
            if (b.indexOf(c) < 0) {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Rights as a response shows them (ACL, MYRIGHTS): with {@code c} when {@code k} is there and
     * {@code d} when any of {@code x t e} is (RFC 4314 2.1.1).
     */
    public static String wire(String rights) {
        String r = normal(rights);
        StringBuilder b = new StringBuilder(r);
        if (has(r, 'k')) {
            b.append('c');
        }
        if (hasAny(r, "xte")) {
            b.append('d');
        }
        return b.toString();
    }

    /** SETACL's third argument: how to change an identifier's rights. */
    public enum Op { REPLACE, ADD, REMOVE }

    /** A parsed rights modification: the operation and the rights, virtual ones expanded. */
    public record Modification(Op op, String rights) {
        /** The identifier's rights after the modification. */
        public String apply(String old) {
            return switch (op) {
                case REPLACE -> rights;
                case ADD -> union(old, rights);
                case REMOVE -> minus(normal(old), rights);
            };
        }
    }

    /**
     * Parses SETACL's modification (RFC 4314 3.1): an optional + or -, then rights. An unknown right
     * is BAD ("the server MUST NOT silently ignore unrecognized rights"), upper case included.
     */
    public static Modification parse(String text) throws ProtocolException {
        Op op = Op.REPLACE;
        String s = text;
        if (s.startsWith("+")) {
            op = Op.ADD;
            s = s.substring(1);
        } else if (s.startsWith("-")) {
            op = Op.REMOVE;
            s = s.substring(1);
        }
        StringBuilder r = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == 'c') {
                r.append('k');
            } else if (c == 'd') {
                r.append("xte");
            } else if (ALL.indexOf(c) >= 0) {
                r.append(c);
            } else {
                throw new ProtocolException("Unsupported right '" + printable(c) + "' (supported: " + ALL + "cd)");
            }
        }
        return new Modification(op, normal(r.toString()));
    }

    private static String printable(char c) {
        return c >= 0x21 && c < 0x7f ? String.valueOf(c) : String.format(Locale.ROOT, "\\u%04x", (int) c);
    }

    /** Who asks: the login name and the groups the user record puts the user in (option {@code group}). */
    public record Who(String name, Set<String> groups) {
    }

    /**
     * The rights {@code who} has under the ACL of a mailbox owned by {@code owner} (ACL2=UNION, as
     * Courier computes them).
     */
    public static String compute(Collection<AclEntry> acl, Who who, String owner) {
        String granted = "";
        String revoked = "";
        for (AclEntry e : acl) {
            boolean negative = e.identifier().startsWith("-");
            String id = negative ? e.identifier().substring(1) : e.identifier();
            if (!matches(id, who, owner)) {
                continue;
            }
            if (negative) {
                revoked = union(revoked, e.rights());
            } else {
                granted = union(granted, e.rights());
            }
        }
        String r = minus(granted, revoked);
        if (who.name().equals(owner)) {
            r = union(r, "a");
        }
        return r;
    }

    private static boolean matches(String id, Who who, String owner) {
        return switch (id) {
            case "anyone", "anonymous" -> true;
            case "owner" -> who.name().equals(owner);
            case Identifiers.ADMINISTRATORS, "group=" + Identifiers.ADMINISTRATORS -> who.groups().contains(Identifiers.ADMINISTRATORS);
            default -> id.startsWith("user=") ? id.substring(5).equals(who.name())
                    : id.startsWith("group=") && who.groups().contains(id.substring(6));
        };
    }

    /**
     * Refuses an operation that needs {@code needed} (one of them is enough when {@code any}): NO
     * [NONEXISTENT] if the user may neither see nor read the mailbox (its existence stays hidden, RFC
     * 4314 6), NO [NOPERM] otherwise.
     */
    public static void require(String rights, String needed, boolean any, String mailbox, String what)
            throws StoreException {
        boolean ok = any ? hasAny(rights, needed) : minus(needed, rights).isEmpty();
        if (ok) {
            return;
        }
        if (!hasAny(rights, "lr")) {
            throw new StoreException(StoreException.Reason.NONEXISTENT, "No such mailbox: " + mailbox);
        }
        throw new StoreException(StoreException.Reason.NOPERM,
                what + " needs the " + (any ? "one of the rights " : "rights ") + needed + " on " + mailbox
                        + "; you have " + (rights.isEmpty() ? "none" : rights));
    }

    /** The right that changing a flag needs (RFC 4314 4): s for \Seen, t for \Deleted, w for the rest. */
    public static char rightFor(String flag) {
        if (flag.equalsIgnoreCase(Flags.SEEN)) {
            return 's';
        }
        if (flag.equalsIgnoreCase(Flags.DELETED)) {
            return 't';
        }
        return 'w';
    }

    /** The flags of {@code flags} that {@code rights} allow to set or clear; \Recent drops out. */
    static List<String> allowed(Collection<String> flags, String rights) {
        List<String> out = new ArrayList<>();
        for (String f : flags) {
            if (!f.equalsIgnoreCase(Flags.RECENT) && has(rights, rightFor(f))) {
                out.add(f);
            }
        }
        return out;
    }
}
