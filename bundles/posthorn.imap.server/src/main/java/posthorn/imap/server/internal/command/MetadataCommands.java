package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.acl.GuardedMail;
import posthorn.imap.server.internal.acl.Rights;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.MetadataMail;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * GETMETADATA and SETMETADATA (RFC 5464 4.2, 4.3): annotations of the server (mailbox {@code ""}) and
 * of mailboxes, kept by the store's optional {@link MetadataMail}. Announced (METADATA,
 * METADATA-SERVER) only while the bound store has it and imapd.cfg's {@code metadata} is on; without
 * it each answers NO [CANNOT].
 *
 * <p>Entry names (RFC 5464 3.2.1) are checked here, in one place: {@code /private/} or
 * {@code /shared/} and at least one more level; printable US-ASCII without {@code *} and {@code %};
 * no empty level ({@code //}), no {@code /} at the end; no {@code .} or {@code ..} level (no meaning
 * in RFC 5464, refused so that no name can look like a path); at most {@code metadata.max.name}
 * octets. Anything else is BAD. Names are case-insensitive (3.2.1): kept and answered in lower case.
 *
 * <p>Limits (imapd.cfg): a value over {@code metadata.max.size} octets is NO [METADATA MAXSIZE n];
 * more than {@code metadata.max.entries} entries on one mailbox (or on the server, per user) is NO
 * [METADATA TOOMANY]. Both are checked before anything is written; SETMETADATA sets all of its entries
 * or none (4.3).
 *
 * <p>Rights where the store keeps ACLs (RFC 5464 3.4, with RFC 4314's letters): reading a mailbox's
 * entries needs {@code l} and {@code r}; writing {@code /private} entries {@code l} and {@code r};
 * writing {@code /shared} entries {@code l}, {@code r} and {@code w}. Another user's mailbox (the
 * shared namespace) has {@code /shared} entries only: its {@code /private} ones read as absent and
 * setting one is NO [METADATA NOPRIVATE] (a user's private entries on another user's mailbox are not
 * kept). Server entries are the user's own: kept per user, as Dovecot keeps them.
 */
public final class MetadataCommands {
    /** The capabilities the commands bring (RFC 5464 1): mailbox entries, and server entries. */
    static final String CAPABILITIES = "METADATA METADATA-SERVER";

    /** Limits a command works within (imapd.cfg). */
    public record Limits(boolean enabled, long maxSize, int maxEntries, int maxName) {
    }

    private MetadataCommands() {
    }

    /** An entry name as RFC 5464 3.2.1 and this server accept it, lower case; BAD otherwise. */
    static String entryName(String raw, int maxName) throws ProtocolException {
        if (raw.length() > maxName) {
            throw new ProtocolException("Entry name longer than " + maxName + " octets");
        }
        String name = raw.toLowerCase(Locale.ROOT);
        if (!name.startsWith("/private/") && !name.startsWith("/shared/")) {
            throw new ProtocolException("Entry name must start with /private/ or /shared/");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '*' || c == '%') {
                throw new ProtocolException("Invalid character in entry name");
            }
        }
        if (name.endsWith("/")) {
            throw new ProtocolException("Entry name must not end with /");
        }
        for (String level : name.substring(1).split("/", -1)) {
            if (level.isEmpty() || level.equals(".") || level.equals("..")) {
                throw new ProtocolException("Invalid level in entry name");
            }
        }
        return name;
    }

    /**
     * Whether METADATA is announced on this session (imapd.cfg metadata on, the store keeps entries):
     * NOTIFY's MailboxMetadataChange and ServerMetadataChange go with it (RFC 5465 5.6, 5.7).
     */
    static boolean available(CommandContext ctx) {
        return ctx.metadataLimits().enabled() && (" " + ctx.capabilities() + " ").contains(" METADATA ");
    }

    /**
     * An entry name GETMETADATA takes: one {@link #entryName} takes, or one of the two roots
     * {@code /private} and {@code /shared} (any case), which hold no value but name every entry of
     * their kind for DEPTH 1 or infinity (RFC 5464's entry is an astring; Dovecot takes the roots).
     */
    static String getEntryName(String raw, int maxName) throws ProtocolException {
        String lower = raw.toLowerCase(Locale.ROOT);
        if (lower.equals("/private") || lower.equals("/shared")) {
            return lower;
        }
        return entryName(raw, maxName);
    }

    /** Whether the entry (or root) is a /private one, which only the mailbox's owner has. */
    private static boolean isPrivate(String name) {
        return name.equals("/private") || name.startsWith("/private/");
    }

    /**
     * Where a mailbox's (or the server's) entries are, whether the user may have private ones there, and
     * whose they are (the user, or the owner of a mailbox of the shared namespace).
     */
    private record Where(MetadataMail mail, String mailbox, boolean own, GuardedMail guard, String owner) {
    }

    private static Where where(CommandContext ctx, SessionState.LoggedIn state, String wire) throws StoreException {
        UserMail mail = state.mail();
        String name = wire.isEmpty() ? null : ctx.names().decode(wire);
        GuardedMail guard = null;
        boolean own = true;
        String owner = state.user().name();
        if (mail instanceof SharedMail shared) {
            SharedMail.Target t = name == null ? new SharedMail.Target(shared.own(), state.user().name(), null)
                    : shared.resolve(name);
            guard = t.mail();
            name = t.name();
            own = t.owner().equals(state.user().name());
            owner = t.owner();
            mail = guard.unguarded();
        } else if (mail instanceof GuardedMail g) {
            guard = g;
            mail = g.unguarded();
        }
        if (!(mail instanceof MetadataMail m) || !ctx.metadataLimits().enabled()) {
            throw new StoreException(StoreException.Reason.CANNOT, "This server's store keeps no metadata");
        }
        return new Where(m, name, own, guard, owner);
    }

    private static void require(Where w, String rights, String what) throws StoreException {
        if (w.guard() != null && w.mailbox() != null) {
            Rights.require(w.guard().rights(w.mailbox()), rights, false, w.mailbox(), what);
        }
    }

    /** GETMETADATA [(MAXSIZE n DEPTH d)] mailbox entries (RFC 5464 4.2). */
    static final class GetMetadata implements Command<SessionState.LoggedIn> {
        @Override
        public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
                throws ProtocolException, IOException, StoreException {
            Limits limits = ctx.metadataLimits();
            args.sp();
            long maxSize = -1;
            int depth = 0;
            if (args.peek('(')) {
                args.listOpen();
                boolean first = true;
                while (!args.peek(')')) {
                    if (!first) {
                        args.sp();
                    }
                    first = false;
                    String option = args.atom().toUpperCase(Locale.ROOT);
                    args.sp();
                    switch (option) {
                        case "MAXSIZE" -> maxSize = args.number(false);
                        case "DEPTH" -> {
                            String d = args.atom().toLowerCase(Locale.ROOT);
                            depth = switch (d) {
                                case "0" -> 0;
                                case "1" -> 1;
                                case "infinity" -> Integer.MAX_VALUE;
                                default -> throw new ProtocolException("DEPTH must be 0, 1 or infinity");
                            };
                        }
                        default -> throw new ProtocolException("Unknown GETMETADATA option " + option);
                    }
                }
                args.listClose();
                args.sp();
            }
            String wire = ctx.names().wire(args);
            args.sp();
            List<String> entries = new ArrayList<>();
            if (args.peek('(')) {
                args.listOpen();
                entries.add(getEntryName(args.astring(), limits.maxName()));
                while (!args.peek(')')) {
                    args.sp();
                    entries.add(getEntryName(args.astring(), limits.maxName()));
                }
                args.listClose();
            } else {
                entries.add(getEntryName(args.astring(), limits.maxName()));
            }
            args.end();
            if (entries.size() > limits.maxEntries()) {
                throw new ProtocolException("More than " + limits.maxEntries() + " entries asked for");
            }
            Where w = where(ctx, state, wire);
            require(w, "lr", "GETMETADATA");
            SortedMap<String, byte[]> stored = w.mail().metadata(w.mailbox());
            Map<String, byte[]> answer = select(stored, entries, depth, w.own());
            long longest = 0;
            Map<String, byte[]> shown = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> e : answer.entrySet()) {
                if (maxSize >= 0 && e.getValue() != null && e.getValue().length > maxSize) {
                    longest = Math.max(longest, e.getValue().length);
                } else {
                    shown.put(e.getKey(), e.getValue());
                }
            }
            if (!shown.isEmpty()) {
                ResponseWriter out = ctx.out();
                out.untagged().raw("METADATA ").astring(wire).raw(" (");
                boolean first = true;
                for (Map.Entry<String, byte[]> e : shown.entrySet()) {
                    if (!first) {
                        out.sp();
                    }
                    first = false;
                    out.astring(e.getKey()).sp();
                    value(out, e.getValue());
                }
                out.raw(")").crlf();
            }
            if (longest > 0) {
                // RFC 5464 4.2.1: the size of the biggest value left out
                ctx.ok(tag, "METADATA LONGENTRIES " + longest, "GETMETADATA completed");
            } else {
                ctx.completed(tag);
            }
        }
    }

    /**
     * The entries GETMETADATA answers, in the order asked (4.2): each named entry (with DEPTH 0 NIL where
     * it has no value, as Dovecot answers) and, with DEPTH 1 or infinity, the stored entries below it.
     */
    static Map<String, byte[]> select(SortedMap<String, byte[]> stored, List<String> asked, int depth, boolean own) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String name : asked) {
            boolean visible = own || !isPrivate(name);
            byte[] value = visible ? stored.get(name) : null;
            if (depth == 0 || value != null) {
                // DEPTH 1 or infinity (4.2.2): the entry itself only where it has a value, as Dovecot
                out.putIfAbsent(name, value);
            }
            if (depth == 0 || !visible) {
                continue;
            }
            String prefix = name + "/";
            for (Map.Entry<String, byte[]> e : stored.tailMap(prefix).entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    break;
                }
                String rest = e.getKey().substring(prefix.length());
                if (depth == 1 && rest.indexOf('/') >= 0) {
                    continue;
                }
                out.putIfAbsent(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** A value as RFC 5464 4.4.1 allows: NIL, a quoted string, a literal, or a literal8 when it holds NUL. */
    static void value(ResponseWriter out, byte[] v) throws IOException {
        if (v == null) {
            out.nil();
            return;
        }
        for (byte b : v) {
            if (b == 0) {
                out.binary(v);
                return;
            }
        }
        boolean quotable = v.length <= 1000;
        for (int i = 0; i < v.length && quotable; i++) {
            quotable = v[i] > 0 && v[i] != '\r' && v[i] != '\n';
        }
        if (quotable) {
            out.string(new String(v, StandardCharsets.US_ASCII));
        } else {
            out.literal(v);
        }
    }

    /** SETMETADATA mailbox (entry value ...) (RFC 5464 4.3). */
    static final class SetMetadata implements Command<SessionState.LoggedIn> {
        @Override
        public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
                throws ProtocolException, IOException, StoreException {
            Limits limits = ctx.metadataLimits();
            args.sp();
            String wire = ctx.names().wire(args);
            args.sp();
            args.listOpen();
            Map<String, byte[]> changes = new HashMap<>();
            List<String> order = new ArrayList<>();
            long tooBig = -1;
            boolean first = true;
            while (!args.peek(')')) {
                if (!first) {
                    args.sp();
                }
                first = false;
                String name = entryName(args.astring(), limits.maxName());
                args.sp();
                byte[] value = args.nstringBytes();
                if (value != null && value.length > limits.maxSize()) {
                    tooBig = Math.max(tooBig, value.length);
                }
                if (!changes.containsKey(name)) {
                    order.add(name);
                }
                changes.put(name, value);
                if (changes.size() > limits.maxEntries()) {
                    throw new ProtocolException("More than " + limits.maxEntries() + " entries in one SETMETADATA");
                }
            }
            args.listClose();
            args.end();
            if (changes.isEmpty()) {
                throw new ProtocolException("SETMETADATA needs at least one entry");
            }
            Where w = where(ctx, state, wire);
            boolean shared = changes.keySet().stream().anyMatch(n -> n.startsWith("/shared/"));
            if (w.mailbox() == null && shared) {
                // The server's /shared entries are everybody's (RFC 5464 3.2): not a user's to set (as
                // Dovecot answers); a user's own server entries are /private.
                ctx.log().info("s{} event=metadata.refused reason=shared-server", ctx.id());
                throw new StoreException(StoreException.Reason.CANNOT, "The server's shared entries are the administrator's");
            }
            require(w, shared ? "lrw" : "lr", "SETMETADATA");
            if (tooBig >= 0) {
                ctx.log().info("s{} event=metadata.refused reason=maxsize size={} limit={}", ctx.id(), tooBig, limits.maxSize());
                ctx.out().status(tag, Status.NO, "METADATA MAXSIZE " + limits.maxSize(), "Value too large");
                return;
            }
            if (!w.own() && changes.keySet().stream().anyMatch(n -> n.startsWith("/private/"))) {
                ctx.log().info("s{} event=metadata.refused reason=noprivate mailbox={}", ctx.id(), w.mailbox());
                ctx.out().status(tag, Status.NO, "METADATA NOPRIVATE", "No private entries on another user's mailbox");
                return;
            }
            TreeMap<String, byte[]> after = new TreeMap<>(w.mail().metadata(w.mailbox()));
            changes.forEach((k, v) -> {
                if (v == null) {
                    after.remove(k);
                } else {
                    after.put(k, v);
                }
            });
            if (after.size() > limits.maxEntries()) {
                ctx.log().info("s{} event=metadata.refused reason=toomany entries={} limit={}", ctx.id(), after.size(),
                        limits.maxEntries());
                ctx.out().status(tag, Status.NO, "METADATA TOOMANY", "Too many entries");
                return;
            }
            w.mail().setMetadata(w.mailbox(), changes);
            ctx.log().info("s{} event=metadata.set mailbox={} entries={}", ctx.id(),
                    w.mailbox() == null ? "(server)" : w.mailbox(), String.join(",", order));
            annotationChanged(ctx, w.owner(), w.mailbox(), order);
            ctx.completed(tag);
        }
    }

    /**
     * Tells the NOTIFY sessions of the entries' owner (RFC 5465 5.6 MailboxMetadataChange, 5.7
     * ServerMetadataChange) after a successful SETMETADATA: the mailbox (null for the server) and the
     * entry names changed, every one whether set or removed (RFC 5464 4.4.2 names entries, not values).
     * On another user's mailbox only {@code /shared} entries are set, and only the owner's sessions
     * are told (NOTIFY watches the user's own mailboxes; a user's {@code /private} entries are nobody
     * else's to hear of).
     */
    static void annotationChanged(CommandContext ctx, String owner, String mailbox, List<String> entries) {
        ctx.metadataNotices().changed(owner, mailbox, entries);
    }
}
