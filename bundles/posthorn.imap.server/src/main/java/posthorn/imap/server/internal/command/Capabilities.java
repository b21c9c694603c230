package posthorn.imap.server.internal.command;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import posthorn.store.api.AclStore;
import posthorn.store.api.MailStore;
import posthorn.store.api.WatchStore;

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
    static final Set<String> ENABLEABLE = Set.of("IMAP4REV2", "CONDSTORE", "QRESYNC", "UTF8=ACCEPT", "UIDONLY");

    /**
     * Announced only after login (issue 15: COMPRESS after TLS and login, as Dovecot announces it);
     * the commands' state check refuses them before.
     */
    static final Set<String> AFTER_LOGIN = Set.of("COMPRESS=DEFLATE");

    /**
     * Capabilities that only a store with an optional part of the store SPI brings: capability to the
     * store.api interface the bound {@link MailStore} must implement. Announced (and enabled) only
     * while the bound store has that part; the commands themselves also refuse without it.
     */
    static final Map<String, Class<?>> STORE_PARTS = storeParts();

    private static Map<String, Class<?>> storeParts() {
        Map<String, Class<?>> parts = new LinkedHashMap<>();
        for (String acl : AclCommand.CAPABILITIES.split(" ")) {
            parts.put(acl.toUpperCase(Locale.ROOT), AclStore.class);
        }
        parts.put("NOTIFY", WatchStore.class); // RFC 5465: the store's WatchMail
        for (String metadata : MetadataCommands.CAPABILITIES.split(" ")) {
            parts.put(metadata, posthorn.store.api.MetadataStore.class);
        }
        parts.put("CREATE-SPECIAL-USE", posthorn.store.api.SpecialUseStore.class);
        parts.put("OBJECTID", posthorn.store.api.ObjectIdStore.class);
        parts.put("SAVEDATE", posthorn.store.api.SaveDateStore.class);
        parts.put(CondStore.CONDSTORE, posthorn.store.api.ModSeqStore.class); // RFC 7162
        parts.put(CondStore.QRESYNC, posthorn.store.api.ModSeqStore.class);
        return Map.copyOf(parts);
    }

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
        return announce(starttls, loginMechanisms, loginDisabled, Set.copyOf(STORE_PARTS.values()));
    }

    /** The optional store SPI parts ({@link #STORE_PARTS}' values) the given store has; none for null. */
    public static Set<Class<?>> partsOf(MailStore store) {
        Set<Class<?>> has = new HashSet<>();
        for (Class<?> part : STORE_PARTS.values()) {
            if (part.isInstance(store)) {
                has.add(part);
            }
        }
        return has;
    }

    /** Whether a capability that may depend on the store is available with a store that has these parts. */
    public static boolean available(String capability, Set<Class<?>> storeParts) {
        Class<?> needs = STORE_PARTS.get(capability.toUpperCase(Locale.ROOT));
        return needs == null || storeParts.contains(needs);
    }

    /**
     * The list as imapd.cfg shapes it (issue 15): LITERAL- in place of LITERAL+ (RFC 7888: a server
     * announces one of the two, LITERAL- being the lesser), and APPENDLIMIT with the largest message
     * APPEND takes (RFC 7889 2: literal.max, which the server enforces for every mailbox; STATUS
     * APPENDLIMIT gives a mailbox's lower one).
     */
    public static String configured(String list, boolean literalMinus, long appendLimit) {
        StringBuilder b = new StringBuilder();
        for (String c : list.split(" ")) {
            if (!b.isEmpty()) {
                b.append(' ');
            }
            b.append(switch (c) {
                case "LITERAL+" -> literalMinus ? "LITERAL-" : c;
                case "APPENDLIMIT" -> "APPENDLIMIT=" + appendLimit;
                default -> c;
            });
        }
        return b.toString();
    }

    /**
     * The list to announce now.
     *
     * @param storeParts the optional store SPI parts the bound store has ({@link #partsOf}): what needs
     *                   one ({@link #STORE_PARTS}) is announced only with it
     */
    public static String announce(boolean starttls, List<String> loginMechanisms, boolean loginDisabled,
                                  Set<Class<?>> storeParts) {
        StringBuilder b = new StringBuilder("IMAP4rev1");
        for (String c : EXTENSIONS) {
            if (available(c, storeParts) && (loginMechanisms == null || !AFTER_LOGIN.contains(c))) {
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
