package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.MailboxNames;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.Session;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * LIST and LSUB (RFC 3501 6.3.8, 6.3.9). Patterns are matched against names in their wire form
 * (modified UTF-7), '*' matching anything and '%' anything but the separator; "INBOX" matches in any
 * case.
 */
final class ListCommand implements Command {
    private final boolean lsub;

    ListCommand(boolean lsub) {
        this.lsub = lsub;
    }

    @Override
    public String name() {
        return lsub ? "LSUB" : "LIST";
    }

    @Override
    public Set<State> states() {
        return AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.sp();
        String reference = args.mailbox();
        args.sp();
        String pattern = args.listMailbox();
        args.end();
        UserMail mail = Mailboxes.mail(session);
        char sep = mail.separator();
        ResponseWriter out = session.out();
        if (pattern.isEmpty() && !lsub) {
            // RFC 3501 6.3.8: the hierarchy delimiter and the root of the reference.
            int cut = reference.indexOf(sep);
            String root = cut < 0 ? "" : reference.substring(0, cut + 1);
            out.untagged().raw("LIST (\\Noselect) ").string(String.valueOf(sep)).sp().astring(root).crlf();
            session.ok(tag, null, "LIST completed");
            return;
        }
        Pattern matcher = compile(canonicalInbox(reference + pattern, sep), sep);
        Map<String, Set<String>> candidates = new HashMap<>();
        for (MailboxInfo info : mail.list()) {
            candidates.put(info.name(), info.attributes());
        }
        List<String> names = lsub ? mail.subscriptions() : new ArrayList<>(candidates.keySet());
        List<String> sorted = new ArrayList<>(new TreeSet<>(names));
        if (sorted.remove("INBOX")) {
            sorted.add(0, "INBOX");
        }
        for (String name : sorted) {
            String wire = MailboxNames.encode(name);
            if (!matcher.matcher(wire).matches()) {
                continue;
            }
            Set<String> attributes = candidates.get(name);
            out.untagged().raw(name()).raw(" (");
            if (attributes == null) {
                out.raw("\\Noselect");
            } else {
                out.raw(String.join(" ", new TreeSet<>(attributes)));
            }
            out.raw(") ").string(String.valueOf(sep)).sp().astring(wire).crlf();
        }
        session.ok(tag, null, name() + " completed");
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
