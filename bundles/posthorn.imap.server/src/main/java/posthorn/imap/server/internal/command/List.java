package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * LIST and LSUB (RFC 3501 6.3.8, 6.3.9), LIST with the extended syntax (RFC 5258: selection options
 * SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE; several patterns; return options SUBSCRIBED,
 * CHILDREN, SPECIAL-USE), STATUS in LIST (RFC 5819) and special-use attributes (RFC 6154).
 *
 * <p>Patterns are matched against names in their wire form (modified UTF-7; UTF-8 for IMAP4rev2), '*' matching anything
 * and '%' anything but the separator; "INBOX" matches in any case.
 */
final class List implements Command<SessionState.LoggedIn> {
    private static final Set<String> SPECIAL_USE = Set.of("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk",
            "\\Sent", "\\Trash");

    private final boolean lsub;

    List(boolean lsub) {
        this.lsub = lsub;
    }

    /** What a LIST command asks for, once parsed. */
    private record Request(Set<String> selection, String reference, java.util.List<String> patterns, Set<String> returns,
                           java.util.List<String> statusItems) {
        boolean extended() {
            return !selection.isEmpty() || !returns.isEmpty() || patterns.size() > 1;
        }
    }

    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        Request r = parse(args);
        UserMail mail = state.mail();
        Status.supported(r.statusItems(), mail);
        char sep = mail.separator();
        ResponseWriter out = ctx.out();
        if (!lsub && r.patterns().size() == 1 && r.patterns().get(0).isEmpty()) {
            // RFC 3501 6.3.8: the hierarchy delimiter and the root of the reference.
            int cut = r.reference().indexOf(sep);
            String root = cut < 0 ? "" : r.reference().substring(0, cut + 1);
            out.untagged().raw("LIST (\\Noselect) ").string(String.valueOf(sep)).sp().astring(root).crlf();
            ctx.ok(tag, null, "LIST completed");
            return;
        }
        java.util.List<Pattern> matchers = new ArrayList<>();
        for (String p : r.patterns()) {
            matchers.add(compile(canonicalInbox(r.reference() + p, sep), sep));
        }
        // Everything below is in the client's names (decoded, namespace prefix included).
        ClientNames names = ctx.names();
        PersonalNamespace ns = names.namespace();
        Map<String, Set<String>> existing = new LinkedHashMap<>();
        for (MailboxInfo info : ns.list(mail)) {
            existing.put(info.name(), info.attributes());
        }
        boolean bySubscription = lsub || r.selection().contains("SUBSCRIBED");
        boolean showSubscribed = !lsub && (r.selection().contains("SUBSCRIBED") || r.returns().contains("SUBSCRIBED"));
        Set<String> subscribed = bySubscription || showSubscribed ? new HashSet<>(ns.subscriptions(mail)) : Set.of();

        // Candidates: what exists, or (selecting by subscription) what is subscribed.
        Set<String> candidates = new TreeSet<>(bySubscription ? subscribed : existing.keySet());
        // Mailboxes with a subscribed descendant, and the unsubscribed ones among them that are listed
        // only for that descendant's sake.
        Set<String> subscribedBelow = new HashSet<>();
        Set<String> listedForChild = new HashSet<>();
        boolean recursive = r.selection().contains("RECURSIVEMATCH");
        boolean lsubLevels = lsub && r.patterns().get(0).endsWith("%");
        if (recursive || lsubLevels) {
            // RFC 5258 3.5 and its example 9: every listed mailbox with a subscribed descendant carries
            // CHILDINFO ("SUBSCRIBED"); one that is not subscribed itself is listed only if some
            // subscribed descendant is not listed by the patterns anyway (no redundant CHILDINFO).
            // LSUB with a trailing '%' (RFC 3501 6.3.9) lists such a level as \Noselect, when the
            // pattern does not reach the subscribed mailbox itself ("*%" does: no parent is added).
            for (String s : subscribed) {
                String wire = names.codec().encode(s);
                boolean listed = matchers.stream().anyMatch(m -> m.matcher(wire).matches());
                int cut = s.lastIndexOf(sep);
                while (cut > 0) {
                    String parent = s.substring(0, cut);
                    subscribedBelow.add(parent);
                    if (!listed && !subscribed.contains(parent)) {
                        listedForChild.add(parent);
                        candidates.add(parent);
                    }
                    cut = parent.lastIndexOf(sep);
                }
            }
        }
        java.util.List<String> order = new ArrayList<>(candidates);
        if (order.remove("INBOX")) {
            order.add(0, "INBOX");
        }
        for (String name : order) {
            String wire = names.codec().encode(name);
            if (matchers.stream().noneMatch(m -> m.matcher(wire).matches())) {
                continue;
            }
            Set<String> stored = existing.get(name);
            if (r.selection().contains("SPECIAL-USE") && (stored == null || stored.stream().noneMatch(SPECIAL_USE::contains))) {
                continue;
            }
            Set<String> attributes = new LinkedHashSet<>();
            if (lsub && !subscribed.contains(name)) {
                attributes.add("\\Noselect");
            } else if (stored == null) {
                attributes.add(r.extended() ? "\\NonExistent" : "\\Noselect");
            } else {
                attributes.addAll(new TreeSet<>(stored));
            }
            if (showSubscribed && subscribed.contains(name)) {
                attributes.add("\\Subscribed");
            }
            boolean childOnly = listedForChild.contains(name) && !subscribed.contains(name);
            out.untagged().raw(ctx.command()).raw(" (").raw(String.join(" ", attributes)).raw(") ")
                    .string(String.valueOf(sep)).sp().astring(wire);
            if (recursive && subscribedBelow.contains(name)) {
                out.raw(" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
            }
            out.crlf();
            if (r.statusItems() != null && stored != null && !stored.contains("\\Noselect") && !childOnly) {
                try {
                    Status.write(out, wire, r.statusItems(), mail, ns.toStore(name), -1, ctx.appendLimit());
                } catch (StoreException e) {
                    // RFC 5819: a mailbox whose status cannot be had is listed without it.
                    ctx.log().debug("s{} LIST-STATUS {}: {}", ctx.id(), name, e.getMessage());
                }
            }
        }
        ctx.completed(tag);
    }

    private Request parse(ArgReader args) throws ProtocolException {
        args.sp();
        Set<String> selection = new LinkedHashSet<>();
        if (!lsub && args.peek('(')) {
            args.skip('(');
            if (!args.peek(')')) {
                do {
                    String option = args.atom().toUpperCase(Locale.ROOT);
                    if (!Set.of("SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE").contains(option)) {
                        throw new ProtocolException("Unknown LIST selection option " + option);
                    }
                    selection.add(option);
                } while (args.skip(' '));
            }
            if (!args.skip(')')) {
                throw new ProtocolException("Expected ) after the selection options");
            }
            args.sp();
            selection.remove("REMOTE"); // no remote mailboxes here: REMOTE changes nothing
            if (selection.contains("RECURSIVEMATCH") && !selection.contains("SUBSCRIBED")) {
                throw new ProtocolException("RECURSIVEMATCH needs another selection option (RFC 5258 3.1)");
            }
        }
        String reference = args.mailbox();
        args.sp();
        java.util.List<String> patterns = new ArrayList<>();
        if (!lsub && args.peek('(')) {
            args.skip('(');
            do {
                patterns.add(args.listMailbox());
            } while (args.skip(' '));
            if (!args.skip(')')) {
                throw new ProtocolException("Expected ) after the mailbox patterns");
            }
        } else {
            patterns.add(args.listMailbox());
        }
        Set<String> returns = new LinkedHashSet<>();
        java.util.List<String> statusItems = null;
        if (!lsub && args.skip(' ')) {
            String word = args.atom();
            if (!word.equalsIgnoreCase("RETURN")) {
                throw new ProtocolException("Expected RETURN, got " + word);
            }
            args.sp();
            if (!args.skip('(')) {
                throw new ProtocolException("Expected ( after RETURN");
            }
            if (!args.peek(')')) {
                do {
                    String option = args.atom().toUpperCase(Locale.ROOT);
                    switch (option) {
                        case "SUBSCRIBED", "CHILDREN", "SPECIAL-USE" -> returns.add(option);
                        case "STATUS" -> {
                            args.sp();
                            statusItems = Status.items(args);
                            returns.add(option);
                        }
                        default -> throw new ProtocolException("Unknown LIST return option " + option);
                    }
                } while (args.skip(' '));
            }
            if (!args.skip(')')) {
                throw new ProtocolException("Expected ) after the return options");
            }
        }
        args.end();
        return new Request(selection, reference, patterns, returns, statusItems);
    }

    /** Spells a leading INBOX (in any case) as "INBOX", so that it matches the store's name. */
    static String canonicalInbox(String pattern, char sep) {
        if (pattern.length() >= 5 && pattern.substring(0, 5).equalsIgnoreCase("INBOX")
                && (pattern.length() == 5 || pattern.charAt(5) == sep)) {
            return "INBOX" + pattern.substring(5);
        }
        return pattern;
    }

    static Pattern compile(String pattern, char sep) {
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '%' -> re.append("[^\\").append(sep).append("]*");
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
