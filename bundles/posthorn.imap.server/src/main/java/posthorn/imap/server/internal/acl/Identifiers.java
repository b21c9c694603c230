package posthorn.imap.server.internal.acl;

import java.util.List;

import posthorn.imap.protocol.ProtocolException;
import posthorn.store.api.StoreException;

/**
 * ACL identifiers between the wire and the store, as Courier-IMAP maps them: on the wire a user is
 * named by the login name ({@code bob}), stored as {@code user=bob}; {@code anyone}, {@code anonymous},
 * {@code authuser} and {@code owner} are themselves; {@code administrators} is the group; a leading
 * {@code -} makes a negative right. A wire identifier with {@code =} in it is refused (Courier's
 * "Invalid ACL identifier"), so that no client can write Courier's other stored forms; stored
 * identifiers other than {@code user=} ones and the special names ({@code group=...}) are kept but not
 * shown (Courier's "hear no evil").
 */
public final class Identifiers {
    public static final String ADMINISTRATORS = "administrators";
    private static final List<String> SPECIAL = List.of("anyone", "anonymous", "authuser", "owner");

    private Identifiers() {
    }

    /**
     * The stored form of a wire identifier.
     *
     * @throws ProtocolException (BAD) for an empty identifier (RFC 4314 3)
     * @throws StoreException NO [CANNOT] for one that cannot be kept (spaces, control characters, '=')
     */
    public static String stored(String wire) throws ProtocolException, StoreException {
        boolean negative = wire.startsWith("-");
        String id = negative ? wire.substring(1) : wire;
        if (id.isEmpty()) {
            throw new ProtocolException("Empty ACL identifier");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '=') {
                throw new StoreException(StoreException.Reason.CANNOT,
                        "Invalid ACL identifier: no spaces, control characters or '=' in an identifier");
            }
        }
        String s;
        if (SPECIAL.contains(id)) {
            s = id;
        } else if (id.equals(ADMINISTRATORS)) {
            s = "group=" + ADMINISTRATORS;
        } else {
            s = "user=" + id;
        }
        return negative ? "-" + s : s;
    }

    /** The wire form of a stored identifier, or null for one not shown. */
    public static String wire(String stored) {
        boolean negative = stored.startsWith("-");
        String id = negative ? stored.substring(1) : stored;
        String w;
        if (id.equals("group=" + ADMINISTRATORS)) {
            w = ADMINISTRATORS;
        } else if (id.startsWith("user=")) {
            w = id.substring(5);
        } else if (id.indexOf('=') >= 0) {
            return null;
        } else {
            w = id;
        }
        return negative ? "-" + w : w;
    }

    /** Whether two stored identifiers name the same entry (administrators has two spellings). */
    static boolean same(String a, String b) {
        return normal(a).equals(normal(b));
    }

    private static String normal(String s) {
        return switch (s) {
            case "group=" + ADMINISTRATORS -> ADMINISTRATORS;
            case "-group=" + ADMINISTRATORS -> "-" + ADMINISTRATORS;
            case "anonymous" -> "anyone";
            case "-anonymous" -> "-anyone";
            default -> s;
        };
    }

    /** Whether the stored identifier is the administrators group, positive or negative. */
    static boolean administrators(String stored) {
        String n = normal(stored.startsWith("-") ? stored.substring(1) : stored);
        return n.equals(ADMINISTRATORS);
    }

    /**
     * LISTRIGHTS (RFC 4314 3.7): the rights always granted and those that may be, each alone (no
     * rights are tied here), with the virtual c and d after their members. The owner always keeps
     * {@code l} and {@code a}; the administrators group always has every right.
     */
    public static List<String> listRights(String storedId, String owner) {
        boolean negative = storedId.startsWith("-");
        String id = negative ? storedId.substring(1) : storedId;
        if (administrators(id)) {
            return negative ? List.of("") : List.of(Rights.ALL);
        }
        boolean isOwner = id.equals("owner") || id.equals("user=" + owner);
        String required = isOwner && !negative ? "la" : "";
        String optional = isOwner ? Rights.minus(Rights.ALL, "la") : Rights.ALL;
        List<String> out = new java.util.ArrayList<>();
        out.add(required);
        for (char c : optional.toCharArray()) {
            out.add(String.valueOf(c));
        }
        out.add("c");
        out.add("d");
        return out;
    }
}
