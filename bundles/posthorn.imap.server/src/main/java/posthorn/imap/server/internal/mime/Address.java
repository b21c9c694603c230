package posthorn.imap.server.internal.mime;

import java.util.ArrayList;
import java.util.List;

/**
 * An address of an ENVELOPE (RFC 3501 7.4.2), parsed from a header value the way Dovecot's
 * message-address parser does: display names keep their RFC 2047 encoded words (the client decodes
 * them), a missing local part or domain becomes MISSING_MAILBOX / MISSING_DOMAIN, and a group is a
 * start marker (mailbox = group name, host NIL) and an end marker (all NIL).
 *
 * @param name    the display name, or null
 * @param route   the obsolete source route ("@a,@b"), or null
 * @param mailbox the local part, or the group name, or null for a group end
 * @param host    the domain, or null for group markers
 */
public record Address(String name, String route, String mailbox, String host) {
    static final String MISSING_MAILBOX = "MISSING_MAILBOX";
    static final String MISSING_DOMAIN = "MISSING_DOMAIN";

    public boolean isGroupMarker() {
        return host == null;
    }

    /** The addresses in a header value; empty if there are none. */
    public static List<Address> parseList(String value) {
        List<Address> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        Lexer l = new Lexer(value);
        int guard = 0;
        while (guard++ < 10_000) {
            l.skipCfws();
            if (l.atEnd()) {
                break;
            }
            if (l.skip(',') || l.skip(';')) {
                continue;
            }
            int start = l.pos;
            String phrase = phrase(l, null);
            l.skipCfws();
            if (!phrase.isEmpty() && l.skip(':')) {
                out.add(new Address(null, null, phrase, null));
                while (true) {
                    l.skipCfws();
                    if (l.atEnd() || l.skip(';')) {
                        break;
                    }
                    if (l.skip(',')) {
                        continue;
                    }
                    int before = l.pos;
                    out.add(mailbox(l));
                    if (l.pos == before) {
                        l.pos++;
                    }
                }
                out.add(new Address(null, null, null, null));
                continue;
            }
            l.pos = start;
            out.add(mailbox(l));
            if (l.pos == start) {
                l.pos++;
            }
        }
        return out;
    }

    /** name-addr or addr-spec; leaves the cursor at the next ',' or ';' (or the end). */
    private static Address mailbox(Lexer l) {
        int start = l.pos;
        boolean[] quotedOnly = new boolean[1];
        String phrase = phrase(l, quotedOnly);
        l.lastComment = null;
        l.skipCfws();
        Address a;
        if (l.skip('<')) {
            l.skipCfws();
            String route = null;
            if (l.peek() == '@') {
                int r = l.pos;
                while (!l.atEnd() && l.peek() != ':' && l.peek() != '>') {
                    l.pos++;
                }
                route = l.s.substring(r, l.pos).replace(" ", "").replace("\t", "");
                l.skip(':');
            }
            String[] spec = addrSpec(l);
            l.skipCfws();
            l.skip('>');
            a = new Address(phrase.isEmpty() ? null : phrase, route, spec[0], spec[1]);
        } else {
            l.pos = start;
            l.lastComment = null;
            String[] spec = addrSpec(l);
            l.skipCfws();
            String name = l.lastComment == null ? null : l.lastComment.strip();
            if (name != null && name.isEmpty()) {
                name = null;
            }
            if (spec[2] != null && spec[1] == MISSING_DOMAIN && name == null) {
                // A quoted string alone is a display name without "<": Dovecot takes it as the name.
                a = new Address(spec[2], null, MISSING_MAILBOX, MISSING_DOMAIN);
            } else {
                a = new Address(name, null, spec[0], spec[1]);
            }
        }
        while (!l.atEnd() && l.peek() != ',' && l.peek() != ';') {
            if (l.peek() == '"') {
                l.quoted();
            } else if (l.peek() == '(') {
                l.skipCfws();
            } else {
                l.pos++;
            }
        }
        return a;
    }

    /**
     * local-part ["@" domain] up to '>', ',', ';' or the end: {mailbox, host, quoted-only name or
     * null}.
     */
    private static String[] addrSpec(Lexer l) {
        StringBuilder local = new StringBuilder();
        boolean quotedOnly = true;
        boolean any = false;
        while (true) {
            l.skipCfws();
            char c = l.peek();
            if (c == '"') {
                local.append(l.quoted());
                any = true;
            } else if (c == '.') {
                local.append('.');
                l.pos++;
                quotedOnly = false;
            } else {
                String a = l.atom();
                if (a.isEmpty()) {
                    break;
                }
                local.append(a);
                any = true;
                quotedOnly = false;
            }
        }
        String host = null;
        l.skipCfws();
        if (l.skip('@')) {
            StringBuilder d = new StringBuilder();
            while (true) {
                l.skipCfws();
                char c = l.peek();
                if (c == '[') {
                    int s = l.pos;
                    while (!l.atEnd() && l.peek() != ']') {
                        l.pos++;
                    }
                    l.skip(']');
                    d.append(l.s, s, l.pos);
                } else if (c == '.') {
                    d.append('.');
                    l.pos++;
                } else {
                    String a = l.atom();
                    if (a.isEmpty()) {
                        break;
                    }
                    d.append(a);
                }
            }
            host = d.isEmpty() ? MISSING_DOMAIN : d.toString();
            quotedOnly = false;
        }
        String mailbox = local.isEmpty() ? MISSING_MAILBOX : local.toString();
        String quotedName = any && quotedOnly && host == null ? local.toString() : null;
        return new String[] {mailbox, host == null ? MISSING_DOMAIN : host, quotedName};
    }

    /** A phrase: words (atoms with dots, quoted strings) joined by single spaces (RFC 5322 obs-phrase). */
    private static String phrase(Lexer l, boolean[] quotedOnly) {
        StringBuilder b = new StringBuilder();
        while (true) {
            l.skipCfws();
            String word;
            if (l.peek() == '"') {
                word = l.quoted();
            } else {
                int s = l.pos;
                while (true) {
                    String a = l.atom();
                    if (!l.skip('.') && a.isEmpty()) {
                        break;
                    }
                }
                word = l.s.substring(s, l.pos);
                if (word.isEmpty()) {
                    break;
                }
            }
            if (!b.isEmpty()) {
                b.append(' ');
            }
            b.append(word);
        }
        return b.toString();
    }
}
