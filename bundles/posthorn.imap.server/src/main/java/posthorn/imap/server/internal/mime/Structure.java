package posthorn.imap.server.internal.mime;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * ENVELOPE and BODY/BODYSTRUCTURE (RFC 3501 7.4.2) as the bytes that go into a FETCH response,
 * matching Dovecot's output where the RFC leaves room: header values raw (encoded words not decoded),
 * sender and reply-to defaulting to from, parameter names and values in the case they were written,
 * the last of repeated envelope fields, "charset" "us-ascii" added to text parts without one, Content-MD5's value as the body MD5, line
 * counts as the number of LFs in the body. The writer recurses once a level of the parsed structure,
 * which {@link MimeLimits} bound.
 */
public final class Structure {
    private Structure() {
    }

    /** The ENVELOPE of a message header. */
    public static byte[] envelope(Header h) {
        return envelope(h, Addresses.of(h));
    }

    /** The ENVELOPE of a message header whose From, To and Cc have been parsed already. */
    public static byte[] envelope(Header h, Addresses a) {
        StringBuilder b = new StringBuilder(256);
        envelope(b, h, a);
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * The From, To and Cc addresses of a header, parsed once for both ENVELOPE and the sort keys
     * (address parsing is the bigger part of deriving either).
     */
    public record Addresses(List<Address> from, List<Address> to, List<Address> cc) {
        public static Addresses of(Header h) {
            return new Addresses(Address.parseList(h.lastValue("From")), Address.parseList(h.lastValue("To")),
                    Address.parseList(h.lastValue("Cc")));
        }
    }

    /** BODYSTRUCTURE ({@code extensible}) or BODY of a parsed message. */
    public static byte[] bodyStructure(byte[] m, MimePart root, boolean extensible) {
        StringBuilder b = new StringBuilder(256);
        part(b, m, root, extensible);
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void envelope(StringBuilder b, Header h, Addresses parsed) {
        b.append('(');
        ImapText.nstringNolf(b, h.lastValue("Date"));
        b.append(' ');
        String subject = h.lastValue("Subject");
        if (subject == null) {
            b.append("NIL");
        } else {
            ImapText.forHumans(b, subject);
        }
        List<Address> from = parsed.from();
        List<Address> sender = Address.parseList(h.lastValue("Sender"));
        List<Address> replyTo = Address.parseList(h.lastValue("Reply-To"));
        b.append(' ');
        addresses(b, from);
        b.append(' ');
        addresses(b, sender.isEmpty() ? from : sender);
        b.append(' ');
        addresses(b, replyTo.isEmpty() ? from : replyTo);
        b.append(' ');
        addresses(b, parsed.to());
        b.append(' ');
        addresses(b, parsed.cc());
        b.append(' ');
        addresses(b, Address.parseList(h.lastValue("Bcc")));
        b.append(' ');
        ImapText.nstringNolf(b, h.lastValue("In-Reply-To"));
        b.append(' ');
        ImapText.nstringNolf(b, h.lastValue("Message-ID"));
        b.append(')');
    }

    private static void addresses(StringBuilder b, List<Address> list) {
        if (list.isEmpty()) {
            b.append("NIL");
            return;
        }
        b.append('(');
        for (Address a : list) {
            b.append('(');
            if (a.name() == null) {
                b.append("NIL");
            } else {
                ImapText.forHumans(b, a.name());
            }
            b.append(' ');
            ImapText.nstringNolf(b, a.route());
            b.append(' ');
            ImapText.nstringNolf(b, a.mailbox());
            b.append(' ');
            ImapText.nstringNolf(b, a.host());
            b.append(')');
        }
        b.append(')');
    }

    private static void part(StringBuilder b, byte[] m, MimePart p, boolean ext) {
        Header h = p.header();
        b.append('(');
        if (p.isMultipart()) {
            for (MimePart c : p.children()) {
                part(b, m, c, ext);
            }
            b.append(' ');
            ImapText.nstring(b, p.subtype());
            if (ext) {
                b.append(' ');
                params(b, p.params(), false);
                extension(b, h);
            }
            b.append(')');
            return;
        }
        boolean text = p.type().equalsIgnoreCase("text");
        if (p.message() != null) {
            b.append("\"message\" \"rfc822\"");
        } else if (p.opaque() || (p.type().equalsIgnoreCase("multipart") && p.subtype().isEmpty())) {
            // a multipart or message left unopened at a bound (MimeLimits), or a "multipart" type with
            // no subtype, which has no parts: Dovecot calls either what it is
            b.append("\"application\" \"octet-stream\"");
        } else {
            ImapText.nstring(b, p.type());
            b.append(' ');
            ImapText.nstring(b, p.subtype());
        }
        b.append(' ');
        params(b, p.params(), text);
        b.append(' ');
        ImapText.nstringNolf(b, h.value("Content-ID"));
        b.append(' ');
        ImapText.nstringNolf(b, h.value("Content-Description"));
        b.append(' ');
        String cte = ContentFields.token(h.value("Content-Transfer-Encoding"));
        ImapText.nstring(b, cte == null ? "7bit" : cte);
        b.append(' ').append(p.end() - p.bodyStart());
        if (text) {
            b.append(' ').append(lines(m, p.bodyStart(), p.end()));
        } else if (p.message() != null) {
            b.append(' ');
            envelope(b, p.message().header(), Addresses.of(p.message().header()));
            b.append(' ');
            part(b, m, p.message(), ext);
            b.append(' ').append(lines(m, p.bodyStart(), p.end()));
        }
        if (ext) {
            b.append(' ');
            ImapText.nstringNolf(b, h.value("Content-MD5"));
            extension(b, h);
        }
        b.append(')');
    }

    /** SP disposition SP language SP location. */
    private static void extension(StringBuilder b, Header h) {
        b.append(' ');
        ContentFields.Valued d = ContentFields.disposition(h.value("Content-Disposition"));
        if (d == null) {
            b.append("NIL");
        } else {
            b.append('(');
            ImapText.nstring(b, d.value());
            b.append(' ');
            params(b, d.params(), false);
            b.append(')');
        }
        b.append(' ');
        List<String> langs = ContentFields.languages(h.value("Content-Language"));
        if (langs == null) {
            b.append("NIL");
        } else {
            b.append('(');
            for (int i = 0; i < langs.size(); i++) {
                if (i > 0) {
                    b.append(' ');
                }
                ImapText.nstring(b, langs.get(i));
            }
            b.append(')');
        }
        b.append(' ');
        ImapText.nstringNolf(b, h.value("Content-Location"));
    }

    private static void params(StringBuilder b, List<String[]> params, boolean defaultCharset) {
        if (params.isEmpty() && !defaultCharset) {
            b.append("NIL");
            return;
        }
        b.append('(');
        boolean charset = false;
        for (int i = 0; i < params.size(); i++) {
            if (i > 0) {
                b.append(' ');
            }
            String[] p = params.get(i);
            charset |= p[0].equalsIgnoreCase("charset");
            ImapText.nstring(b, p[0]);
            b.append(' ');
            ImapText.nstring(b, p[1]);
        }
        if (defaultCharset && !charset) {
            if (!params.isEmpty()) {
                b.append(' ');
            }
            b.append("\"charset\" \"us-ascii\"");
        }
        b.append(')');
    }

    static int lines(byte[] m, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (m[i] == '\n') {
                n++;
            }
        }
        return n;
    }
}
