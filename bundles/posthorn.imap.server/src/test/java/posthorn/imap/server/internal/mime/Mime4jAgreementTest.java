package posthorn.imap.server.internal.mime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.junit.jupiter.api.Test;

/**
 * FETCH cuts sections with the hand-written parser ({@link MimePart}); SEARCH reads text through
 * Apache Mime4j's. Over the fixtures, generated messages and GarbageTest's random bytes both must see
 * the same parts: the same tree (multiparts, encapsulated messages, leaves), in every entity the same
 * header fields and, in every leaf, the same body bytes, so the same boundaries. Where they differ by
 * design, the reasons are the constants below, each decided by RFC 2045/2046 and by what Dovecot
 * answers (FETCH follows Dovecot where the RFCs leave room); the generated messages need none but the
 * multipart without parts the generator writes on purpose. Both parsers run held to the same
 * {@link MimeLimits} (Mime4j through {@link MimeTokens}, as SEARCH runs it), so both cut a deep
 * structure at the same level: the deep fixtures and deepBounds below check that.
 */
class Mime4jAgreementTest {
    /**
     * A multipart with no body part (its boundary parameter missing or empty, no delimiter line, or
     * only the close delimiter) is not RFC 2046 (5.1.1: "body-part *encapsulation", one at least).
     * Mime4j reports no part, or the whole as one text/plain leaf; ours has one empty part, since a
     * BODYSTRUCTURE must list one at least (RFC 3501 body-type-mpart "1*body") and Dovecot answers so
     * (the "nobound" fixture). Mime4j's tree is read as ours here. SEARCH loses nothing: a
     * multipart's own body is not text it searches.
     */
    static final String EMPTY_MULTIPART = "multipart without parts";

    /**
     * A Content-Type field that does not parse (RFC 2045 5.1: type "/" subtype, then ";" and
     * parameters or the end) makes a part that is neither a multipart nor a message: RFC 2045 5.2 and
     * Dovecot agree on that (the "badtypes" fixture), Mime4j still reads a type and boundary out of
     * some ("multipart/mixed x; boundary=b"). The entity's contents are not compared, its fields are.
     */
    static final String INVALID_CONTENT_TYPE = "Content-Type that does not parse";

    /**
     * An encapsulated message with a Content-Transfer-Encoding other than 7bit, 8bit or binary,
     * which RFC 2046 5.2.1 forbids: Mime4j decodes the body and parses what comes out; ours, as
     * Dovecot, parses the bytes as they are, since FETCH sections (BODY[n.HEADER]) are byte ranges of
     * the message as stored. The entity's contents are not compared, its fields are.
     */
    static final String ENCODED_MESSAGE = "encoded message/rfc822";

    /**
     * A Content-Type parameter value followed by something other than ";" ("boundary=b folded"),
     * which RFC 2045 5.1 has no place for: ours, as Dovecot, keeps the parameters read so far and
     * ends there (boundary "b"); Mime4j reads on ("b folded"). The entity's contents are not
     * compared, its fields are.
     */
    static final String JUNK_AFTER_PARAMETER = "junk after a Content-Type parameter";

    /**
     * A Content-Type or Content-Transfer-Encoding field name with control characters before or after
     * it ("\x04Content-Type: multipart/mixed"): RFC 5322 3.6.8 makes that no field name, and ours
     * passes the field over, as Dovecot does; Mime4j trims them off (String.trim) and uses the field.
     * The entity's contents are not compared, its fields are.
     */
    static final String CONTROL_IN_NAME = "control characters around a MIME field name";

    /**
     * A multipart whose data ends right after a delimiter line: RFC 2046 5.1.1 has a body part after
     * every delimiter (an empty one may be), and ours, as Dovecot, shows that empty last part; Mime4j
     * shows none. Our tree is read without it.
     */
    static final String TRAILING_DELIMITER = "delimiter at the end of the data";

    @Test
    void fixtures() throws Exception {
        for (String name : DovecotFixturesTest.NAMES) {
            Set<String> exceptions = agree(name, DovecotFixturesTest.resource(name + ".eml"));
            assertEquals(switch (name) {
                case "nobound" -> Set.of(EMPTY_MULTIPART);
                case "badtypes" -> Set.of(INVALID_CONTENT_TYPE);
                default -> Set.of();
            }, exceptions, name);
        }
    }

    /** Tighter bounds than the default, over the generated messages: both cut at the same levels. */
    @Test
    void deepBounds() throws Exception {
        Random r = new Random(5256);
        int cut = 0;
        for (int i = 0; i < 300; i++) {
            byte[] m = new Generator(r).message();
            MimeLimits limits = new MimeLimits(1 + i % 4, MimeLimits.DEFAULTS.maxParts());
            agree("generated #" + i + " under " + limits, m, limits);
            cut += MimePart.parse(m, limits).cut() != null ? 1 : 0;
        }
        assertTrue(cut > 50, cut + " of 300 cut"); // 70 when written
        for (String name : List.of("deepnest", "deeprfc822")) {
            assertEquals(Set.of(), agree(name, DovecotFixturesTest.resource(name + ".eml")), name);
        }
    }

    @Test
    void generatedMessages() throws Exception {
        Random r = new Random(2046);
        TreeMap<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < 500; i++) {
            for (String e : agree("generated #" + i, new Generator(r).message())) {
                seen.merge(e, 1, Integer::sum);
            }
        }
        // the generator writes multiparts without parts on purpose; nothing else may need a reason
        assertEquals(Set.of(EMPTY_MULTIPART), seen.keySet());
    }

    @Test
    void garbage() throws Exception {
        Random r = new Random(42);
        TreeMap<String, Integer> seen = new TreeMap<>();
        int none = 0;
        for (int i = 0; i < 3000; i++) {
            Set<String> got = agree("GarbageTest message #" + i, GarbageTest.message(r));
            none += got.isEmpty() ? 1 : 0;
            for (String e : got) {
                seen.merge(e, 1, Integer::sum);
            }
        }
        // Most random messages need no reason at all (2553 of 3000 when written): the reasons are
        // exceptions, not the rule.
        int plain = none;
        assertTrue(plain > 2400, () -> plain + " of 3000 needed no reason; reasons used: " + seen);
    }

    /** Compares the two trees of a message; returns the reasons that let them differ where they did. */
    private static Set<String> agree(String what, byte[] m) throws IOException, MimeException {
        return agree(what, m, MimeLimits.DEFAULTS);
    }

    private static Set<String> agree(String what, byte[] m, MimeLimits limits) throws IOException, MimeException {
        Set<String> reasons = new TreeSet<>();
        String ours = ours(m, MimePart.parse(m, limits)).describe("", reasons);
        String theirs = mime4j(m, limits).describe("", reasons);
        assertEquals(ours, theirs, () -> what + ":\n" + escape(m, 0, m.length));
        return reasons;
    }

    /** One entity as either parser sees it. */
    private static final class Node {
        String kind = "leaf";
        final List<String> fields = new ArrayList<>();
        String contentType;
        String transferEncoding;
        final List<Node> children = new ArrayList<>();
        String body = "";
        /** Set where Mime4j's tree is read as ours (EMPTY_MULTIPART). */
        boolean emptyMultipart;
        /** Set where our tree is read as Mime4j's (TRAILING_DELIMITER). */
        boolean trailingPart;
        boolean controlInName;

        /** One line per entity, indented by depth; adds the reasons it applied to {@code reasons}. */
        String describe(String indent, Set<String> reasons) {
            String opaque = opaque();
            StringBuilder b = new StringBuilder(indent);
            if (opaque != null) {
                reasons.add(opaque);
                return b.append("not compared (").append(opaque).append(") ").append(fields).append('\n').toString();
            }
            if (emptyMultipart) {
                reasons.add(EMPTY_MULTIPART);
            }
            if (trailingPart) {
                reasons.add(TRAILING_DELIMITER);
            }
            b.append(kind).append(' ').append(fields).append('\n');
            if (kind.equals("leaf") || kind.equals("opaque")) {
                b.append(indent).append("  body ").append(body).append('\n');
            }
            for (Node c : children) {
                b.append(c.describe(indent + "  ", reasons));
            }
            return b.toString();
        }

        /** The reason the entity's contents are not compared, judged on its fields alike for both. */
        private String opaque() {
            if (controlInName) {
                return CONTROL_IN_NAME;
            }
            if (contentType != null) {
                ContentFields.Valued ct = ContentFields.contentType(contentType);
                if (ct == ContentFields.INVALID_TYPE) {
                    return INVALID_CONTENT_TYPE;
                }
                if (ct.value().equalsIgnoreCase("multipart") && junkAfterParameter(contentType)) {
                    return JUNK_AFTER_PARAMETER;
                }
            }
            String cte = ContentFields.token(transferEncoding);
            if (kind.equals("message") && cte != null && !Set.of("7bit", "8bit", "binary").contains(cte.toLowerCase(Locale.ROOT))) {
                return ENCODED_MESSAGE;
            }
            return null;
        }

        /** A field as the parser named it and valued it, and its bytes as written ({@code raw[from, to)}). */
        void field(String name, String value, byte[] raw, int from, int to) {
            if (name.equalsIgnoreCase("Content-Type") && contentType == null) {
                contentType = value;
            } else if (name.equalsIgnoreCase("Content-Transfer-Encoding") && transferEncoding == null) {
                transferEncoding = value;
            }
            int colon = from;
            while (colon < to && raw[colon] != ':') {
                colon++;
            }
            String written = Header.latin1(raw, from, colon).strip();
            String trimmed = written.trim();
            controlInName |= !written.equals(trimmed) && (trimmed.equalsIgnoreCase("Content-Type")
                    || trimmed.equalsIgnoreCase("Content-Transfer-Encoding"));
            if (wellFormedName(raw, from, to)) {
                fields.add(escape(raw, from, to));
            }
        }
    }

    /** Whether a parameter value in a Content-Type is followed by something other than ";" or the end. */
    private static boolean junkAfterParameter(String contentType) {
        Lexer l = new Lexer(contentType);
        l.skipCfws();
        l.token();
        l.skipCfws();
        l.skip('/');
        l.skipCfws();
        l.token();
        while (true) {
            l.skipCfws();
            if (!l.skip(';')) {
                return false;
            }
            l.skipCfws();
            if (l.token().isEmpty()) {
                return !l.atEnd();
            }
            l.skipCfws();
            if (!l.skip('=')) {
                return !l.atEnd();
            }
            l.skipCfws();
            l.value();
            l.skipCfws();
            if (!l.atEnd() && l.peek() != ';') {
                return true;
            }
        }
    }

    /** Our tree. */
    private static Node ours(byte[] m, MimePart p) {
        Node n = new Node();
        for (Header.Field f : p.header().fields()) {
            int end = f.end();
            if (end > f.start() && m[end - 1] == '\n') {
                end--;
                if (end > f.start() && m[end - 1] == '\r') {
                    end--;
                }
            }
            n.field(f.name(), f.unfolded(), m, f.start(), end);
        }
        if (p.opaque()) {
            n.kind = "opaque";
            n.body = escape(m, p.bodyStart(), p.end());
        } else if (p.isMultipart()) {
            n.kind = "multipart";
            for (MimePart c : p.children()) {
                n.children.add(ours(m, c));
            }
            MimePart last = p.children().getLast();
            if (p.children().size() > 1 && last.headerStart() == p.end() && last.end() == p.end()) {
                n.children.removeLast();
                n.trailingPart = true;
            }
        } else if (p.message() != null) {
            n.kind = "message";
            n.children.add(ours(m, p.message()));
        } else {
            n.body = escape(m, p.bodyStart(), p.end());
        }
        return n;
    }

    /** Mime4j's tree. */
    private static Node mime4j(byte[] m, MimeLimits limits) throws IOException, MimeException {
        MimeTokens tokens = new MimeTokens(new ByteArrayInputStream(m), limits);
        MimeTokenStream s = tokens.stream();
        // The stream starts inside the top-level message: no T_START_MESSAGE for it.
        Node root = new Node();
        Deque<Node> open = new ArrayDeque<>(List.of(root));
        for (EntityState e = tokens.next(); e != EntityState.T_END_OF_STREAM; e = tokens.next()) {
            Node n = open.peek();
            switch (e) {
                case T_START_MESSAGE, T_START_BODYPART -> {
                    Node c = new Node();
                    n.children.add(c);
                    if (e == EntityState.T_START_MESSAGE) {
                        n.kind = "message";
                    }
                    open.push(c);
                }
                case T_FIELD -> {
                    byte[] raw = s.getField().getRaw().toByteArray();
                    n.field(s.getField().getName(), s.getField().getBody(), raw, 0, raw.length);
                }
                case T_START_MULTIPART -> n.kind = "multipart";
                case T_END_MULTIPART -> {
                    if (n.children.isEmpty()) {
                        n.children.add(new Node());
                        n.emptyMultipart = true;
                    }
                }
                case T_BODY -> {
                    String type = n.contentType == null ? "" : n.contentType.strip().toLowerCase(Locale.ROOT);
                    if (tokens.opaque()) {
                        byte[] body = s.getInputStream().readAllBytes();
                        n.kind = "opaque";
                        n.body = escape(body, 0, body.length);
                    } else if (type.startsWith("multipart/")) {
                        // without a boundary Mime4j takes it for text/plain
                        n.kind = "multipart";
                        n.children.add(new Node());
                        n.emptyMultipart = true;
                    } else {
                        byte[] body = s.getInputStream().readAllBytes();
                        n.body = escape(body, 0, body.length);
                    }
                }
                case T_END_MESSAGE, T_END_BODYPART -> open.pop();
                default -> {
                }
            }
        }
        return root;
    }

    /**
     * Whether the field in {@code b[from, to)} starts with a well-formed name and a colon (RFC 5322
     * 3.6.8: printable US-ASCII but the colon), without parentheses. Only such fields are compared:
     * each parser keeps a broken header line its own way (ours as a field, nameless or named as
     * written, as Dovecot does for HEADER.FIELDS.NOT; Mime4j drops it, or trims the name to what it
     * can use), and Mime4j drops a name with "(" or ")" in it, which RFC 5322 allows. No boundary
     * moves for either.
     */
    private static boolean wellFormedName(byte[] b, int from, int to) {
        int i = from;
        while (i < to && b[i] > 32 && b[i] < 127 && b[i] != ':' && b[i] != '(' && b[i] != ')') {
            i++;
        }
        return i > from && i < to && b[i] == ':';
    }

    /** The bytes as text, line ends and controls made visible. */
    private static String escape(byte[] b, int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            switch (c) {
                case '\r' -> s.append("\\r");
                case '\n' -> s.append("\\n");
                case '\\' -> s.append("\\\\");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        s.append(String.format("\\x%02x", c));
                    } else {
                        s.append((char) c);
                    }
                }
            }
        }
        return s.toString();
    }

    /**
     * Messages of every shape RFC 2046 allows and some it does not: multiparts (nested, with preamble,
     * epilogue, transport padding after the delimiters, a missing close delimiter, no parts),
     * message/rfc822 parts, digests whose parts default to message/rfc822, parts without a header,
     * bodies with lines that look like delimiters but are not, CRLF or bare LF line ends, a last
     * line without a line end.
     */
    static final class Generator {
        private static final String BOUNDARY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'()+_,-./:=?";
        private static final String[] WORDS = {"alpha", "beta", "gamma", "delta", "--", "- --", "x--y", "=3D",
            "Content-Type: text/plain", "--not-a-delimiter", "From nobody", ""};
        private final Random r;
        private final String nl;
        private int boundaries;

        Generator(Random r) {
            this.r = r;
            this.nl = r.nextInt(5) == 0 ? "\n" : "\r\n";
        }

        byte[] message() {
            StringBuilder b = new StringBuilder();
            b.append("From: a@example.org").append(nl).append("Subject: test ").append(r.nextInt(1000)).append(nl);
            entity(b, 0, false, new ArrayList<>());
            if (r.nextInt(4) == 0 && b.length() >= nl.length() && b.toString().endsWith(nl)) {
                b.setLength(b.length() - nl.length());
            }
            return b.toString().getBytes(StandardCharsets.ISO_8859_1);
        }

        /** Appends the rest of an entity's header, the blank line and its body. */
        private void entity(StringBuilder b, int depth, boolean inDigest, List<String> enclosing) {
            for (int i = r.nextInt(3); i > 0; i--) {
                b.append(r.nextBoolean() ? "X-Note: " + word() : "X-Folded: " + word() + nl + "\t" + word()).append(nl);
            }
            int kind = depth >= 3 ? 9 : r.nextInt(10);
            if (kind < 3) {
                multipart(b, depth, enclosing);
            } else if (kind < 5 || (inDigest && kind < 7)) {
                if (!inDigest || r.nextBoolean()) {
                    b.append("Content-Type: message/rfc822").append(nl);
                }
                b.append(nl);
                b.append("From: b@example.org").append(nl).append("Subject: inner").append(nl);
                entity(b, depth + 1, false, enclosing);
            } else {
                // in a digest, a part without Content-Type is a message (RFC 2046 5.1.5)
                if (inDigest || r.nextBoolean()) {
                    b.append("Content-Type: text/plain; charset=us-ascii").append(nl);
                }
                b.append(nl);
                for (int i = r.nextInt(5); i > 0; i--) {
                    b.append(word()).append(' ').append(word()).append(nl);
                }
            }
        }

        private void multipart(StringBuilder b, int depth, List<String> enclosing) {
            String subtype = new String[] {"mixed", "alternative", "digest", "related", "parallel"}[r.nextInt(5)];
            String boundary = boundary();
            b.append("Content-Type: multipart/").append(subtype).append(";").append(r.nextBoolean() ? nl + "\t" : " ")
                    .append("boundary=").append(quoted(boundary)).append(nl);
            b.append(nl);
            for (int i = r.nextInt(3); i > 0; i--) {
                b.append(word()).append(nl);
            }
            List<String> inner = new ArrayList<>(enclosing);
            inner.add(boundary);
            int parts = r.nextInt(8) == 0 ? 0 : 1 + r.nextInt(3);
            for (int i = 0; i < parts; i++) {
                b.append("--").append(boundary).append(padding()).append(nl);
                if (r.nextInt(6) == 0) {
                    b.append(nl); // no header at all
                    b.append(word()).append(nl);
                } else {
                    entity(b, depth + 1, subtype.equals("digest"), inner);
                }
            }
            if (r.nextInt(8) != 0) {
                b.append("--").append(boundary).append("--").append(padding()).append(nl);
                for (int i = r.nextInt(3); i > 0; i--) {
                    b.append(word()).append(nl);
                }
            }
        }

        private String boundary() {
            // unique, and never the prefix of another (RFC 2046 5.1.2 asks that of the sender)
            StringBuilder s = new StringBuilder().append(++boundaries).append('=');
            for (int i = r.nextInt(20); i > 0; i--) {
                s.append(BOUNDARY_CHARS.charAt(r.nextInt(BOUNDARY_CHARS.length())));
            }
            return s.toString();
        }

        private String quoted(String boundary) {
            boolean token = boundary.chars().noneMatch(c -> "()<>@,;:\\\"/[]?=".indexOf(c) >= 0);
            return token && r.nextBoolean() ? boundary : "\"" + boundary + "\"";
        }

        private String padding() {
            return new String[] {"", "", "", " ", "\t ", "  "}[r.nextInt(6)];
        }

        private String word() {
            return WORDS[r.nextInt(WORDS.length)];
        }
    }
}
