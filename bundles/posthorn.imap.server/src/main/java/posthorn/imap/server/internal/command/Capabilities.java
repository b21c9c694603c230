package posthorn.imap.server.internal.command;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The capability list (RFC 3501 7.2.1). Announce a capability only once it works: what is announced
 * in every state comes from {@link CommandTable}, the rows' capabilities and the extensions that come
 * with no command, in the table's order. What depends on the connection (STARTTLS, AUTH=,
 * LOGINDISABLED) is added by {@link #announce}.
 */
public final class Capabilities {

    /** Announced in every state, in this order, after IMAP4rev1. */
    static final List<String> EXTENSIONS = CommandTable.capabilities();

    /**
     * Extensions that ENABLE (RFC 5161) can turn on, upper case. One is enabled only if it is also
     * announced.
     */
    static final Set<String> ENABLEABLE = Set.of("IMAP4REV2");

    /** What only a store that keeps access control lists brings (store.api AclStore). */
    static final Set<String> STORE_ACL = Set.of(AclCommand.CAPABILITIES.split(" "));

    private Capabilities() {
    }

    /** Whether the capability is announced (in any state), ignoring case. */
    public static boolean announced(String capability) {
        return capability.equalsIgnoreCase("IMAP4rev1")
                || EXTENSIONS.stream().anyMatch(c -> c.equalsIgnoreCase(capability));
    }

    /** The name ENABLE should answer for a requested one (as announced), or null if it cannot be enabled. */
    public static String enableable(String requested) {
        String up = requested.toUpperCase(Locale.ROOT);
        if (!ENABLEABLE.contains(up)) {
            return null;
        }
        return EXTENSIONS.stream().filter(c -> c.equalsIgnoreCase(up)).findFirst().orElse(null);
    }

    /**
     * The list to announce now.
     *
     * @param starttls STARTTLS is offered (plain connection, TLS set up, not logged in)
     * @param loginMechanisms the SASL mechanisms to offer before login, or null after it
     * @param loginDisabled LOGIN is refused on this connection (RFC 3501 6.2.3)
     */
    public static String announce(boolean starttls, List<String> loginMechanisms, boolean loginDisabled) {
        return announce(starttls, loginMechanisms, loginDisabled, true);
    }

    /**
     * The list to announce now.
     *
     * @param storeAcl the bound store keeps access control lists: ACL, ACL2=UNION and RIGHTS= are
     *                 announced
     */
    public static String announce(boolean starttls, List<String> loginMechanisms, boolean loginDisabled,
                                  boolean storeAcl) {
        StringBuilder b = new StringBuilder("IMAP4rev1");
        for (String c : EXTENSIONS) {
            if (storeAcl || !STORE_ACL.contains(c)) {
                b.append(' ').append(c);
            }
        }
        if (starttls) {
            b.append(" STARTTLS");
        }
        if (loginMechanisms != null) {
            for (String m : loginMechanisms) {
                b.append(" AUTH=").append(m);
            }
            if (loginDisabled) {
                b.append(" LOGINDISABLED");
            }
        }
        return b.toString();
    }
}
