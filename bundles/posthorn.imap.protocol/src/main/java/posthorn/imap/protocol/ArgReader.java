package posthorn.imap.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the arguments of one command line (an {@link CommandReceiver.Event.Line}) by the grammar of
 * RFC 3501 section 9. Each method consumes what it reads or throws {@link ProtocolException} with a
 * message fit for a BAD response. Names of atoms keep their case; callers compare ignoring case.
 *
 * <p>Strings may hold UTF-8 (RFC 9051, RFC 6855): quoted strings accept 8-bit bytes, and strings
 * read as text must be valid UTF-8. Literals are {@code {N}CRLF} or {@code {N+}CRLF} followed by N
 * bytes; a bare LF after the announcement is accepted too. A literal whose bytes the receiver streamed
 * elsewhere ({@link CommandReceiver#streamLiteral()}) is in the line without them; only
 * {@link #streamedLiteral()} reads it, everything else answers TOOBIG.
 */
public final class ArgReader {

    /** Default limit of parenthesised list nesting, as {@link ParserLimits#DEFAULTS}. */
    public static final int DEFAULT_MAX_NESTING = 32;

    private final byte[] b;
    private final int maxNesting;
    /** Ascending offsets in {@link #b} where streamed literals' bytes would be. */
    private final int[] streamed;
    private int pos;
    private int depth;

    public ArgReader(byte[] line) {
        this(line, DEFAULT_MAX_NESTING);
    }

    /**
     * @param line       the command line; not copied, so the caller must not change it while reading
     * @param maxNesting deepest parenthesised list nesting accepted ({@link ParserLimits#maxNesting()})
     */
    public ArgReader(byte[] line, int maxNesting) {
        this(line, maxNesting, new int[0]);
    }

    /**
     * @param line       the command line; not copied, so the caller must not change it while reading
     * @param maxNesting deepest parenthesised list nesting accepted ({@link ParserLimits#maxNesting()})
     * @param streamed   where the line's streamed literals are, as {@link CommandReceiver.Event.Line#streamed()}
     */
    public ArgReader(byte[] line, int maxNesting, int[] streamed) {
        this.b = line;
        this.maxNesting = maxNesting;
        this.streamed = streamed.clone();
    }

    /**
     * If the next argument is a literal (or literal8) that was streamed, consumes it and returns its
     * number among the command's streamed literals (0 for the first); otherwise consumes nothing and
     * returns -1. APPEND reads its messages with this first, then with {@link #stringBytes()}.
     */
    public int streamedLiteral() throws ProtocolException {
        int start = pos;
        if (pos + 1 < b.length && b[pos] == '~' && b[pos + 1] == '{') {
            pos++;
        }
        if (pos >= b.length || b[pos] != '{') {
            pos = start;
            return -1;
        }
        announcement();
        int index = java.util.Arrays.binarySearch(streamed, pos);
        if (index < 0) {
            pos = start;
            return -1;
        }
        return index;
    }

    /** Between list items: SP, or "Missing )" at the end of the line. */
    private void listSp() throws ProtocolException {
        if (pos >= b.length) {
            throw new ProtocolException("Missing )");
        }
        sp();
    }

    /** The tag: 1*(ASTRING-CHAR except "+"). */
    public String tag() throws ProtocolException {
        int start = pos;
        while (pos < b.length && Chars.isTagChar(b[pos])) {
            pos++;
        }
        if (pos == start) {
            throw new ProtocolException(pos < b.length ? "Invalid tag" : "Missing tag");
        }
        return ascii(start, pos);
    }

    /** One SP. */
    public void sp() throws ProtocolException {
        if (pos >= b.length) {
            throw new ProtocolException("Missing argument");
        }
        if (b[pos] != ' ') {
            throw new ProtocolException("Expected SP");
        }
        pos++;
    }

    /** An atom (ATOM-CHARs); for command names, fetch items, search keys. */
    public String atom() throws ProtocolException {
        int start = pos;
        while (pos < b.length && Chars.isAtomChar(b[pos])) {
            pos++;
        }
        if (pos == start) {
            throw new ProtocolException(pos < b.length ? "Expected atom" : "Missing argument");
        }
        return ascii(start, pos);
    }

    /** An astring: atom (with ']' allowed), quoted string or literal, decoded as UTF-8. */
    public String astring() throws ProtocolException {
        if (pos < b.length && (b[pos] == '"' || b[pos] == '{')) {
            return utf8(stringBytes());
        }
        return atomOf(false);
    }

    private String atomOf(boolean wildcards) throws ProtocolException {
        int start = pos;
        while (pos < b.length && (wildcards ? Chars.isListChar(b[pos]) : Chars.isAstringChar(b[pos]))) {
            pos++;
        }
        if (pos == start) {
            throw new ProtocolException(pos < b.length ? "Expected string" : "Missing argument");
        }
        return ascii(start, pos);
    }

    /**
     * A string: quoted or literal, as bytes. A binary literal ({@code ~{N}}, RFC 3516 literal8, as
     * APPEND may send) is accepted too.
     */
    public byte[] stringBytes() throws ProtocolException {
        if (pos >= b.length) {
            throw new ProtocolException("Missing argument");
        }
        return switch (b[pos]) {
            case '"' -> quoted();
            case '{' -> literal();
            case '~' -> {
                if (pos + 1 < b.length && b[pos + 1] == '{') {
                    pos++;
                    yield literal();
                }
                throw new ProtocolException("Expected string");
            }
            default -> throw new ProtocolException("Expected string");
        };
    }

    /** An nstring: NIL (null) or a string, as bytes. */
    public byte[] nstringBytes() throws ProtocolException {
        if (peekKeyword("NIL")) {
            pos += 3;
            return null;
        }
        return stringBytes();
    }

    private byte[] quoted() throws ProtocolException {
        pos++; // DQUOTE
        byte[] out = new byte[16];
        int n = 0;
        while (true) {
            if (pos >= b.length) {
                throw new ProtocolException("Unterminated quoted string");
            }
            byte c = b[pos++];
            if (c == '"') {
                return java.util.Arrays.copyOf(out, n);
            }
            if (c == '\\') {
                if (pos >= b.length) {
                    throw new ProtocolException("Unterminated quoted string");
                }
                c = b[pos++];
                if (c != '"' && c != '\\') {
                    throw new ProtocolException("Invalid escape in quoted string");
                }
            } else if (c == 0 || c == '\r' || c == '\n') {
                throw new ProtocolException("Invalid character in quoted string");
            }
            if (n == out.length) {
                out = java.util.Arrays.copyOf(out, n * 2);
            }
            out[n++] = c;
        }
    }

    private byte[] literal() throws ProtocolException {
        long size = announcement();
        if (java.util.Arrays.binarySearch(streamed, pos) >= 0) {
            throw new ProtocolException("TOOBIG", "Literal of " + size + " bytes is too large here");
        }
        if (size > b.length - pos) {
            throw new ProtocolException("Literal size mismatch");
        }
        byte[] data = java.util.Arrays.copyOfRange(b, pos, pos + (int) size);
        pos += (int) size;
        return data;
    }

    /** Reads {@code {N}CRLF} or {@code {N+}CRLF}, leaving the position at the literal's first byte. */
    private long announcement() throws ProtocolException {
        pos++; // "{"
        int start = pos;
        while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') {
            pos++;
        }
        if (pos == start || pos - start > 18) {
            throw new ProtocolException("Invalid literal announcement");
        }
        long size = Long.parseLong(ascii(start, pos));
        if (pos < b.length && b[pos] == '+') {
            pos++;
        }
        if (pos >= b.length || b[pos] != '}') {
            throw new ProtocolException("Invalid literal announcement");
        }
        pos++;
        if (pos < b.length && b[pos] == '\r') {
            pos++;
        }
        if (pos >= b.length || b[pos] != '\n') {
            throw new ProtocolException("Expected CRLF after literal announcement");
        }
        pos++;
        return size;
    }

    /** A mailbox name: an astring; "INBOX" in any case comes back as "INBOX". Still modified UTF-7. */
    public String mailbox() throws ProtocolException {
        String name = astring();
        return name.equalsIgnoreCase("INBOX") ? "INBOX" : name;
    }

    /** A list-mailbox (LIST pattern): like astring but also '%' and '*' in atoms. */
    public String listMailbox() throws ProtocolException {
        if (pos < b.length && (b[pos] == '"' || b[pos] == '{')) {
            return utf8(stringBytes());
        }
        return atomOf(true);
    }

    /** A number (RFC 3501 number, 32-bit unsigned) or nz-number when {@code nonZero}. */
    public long number(boolean nonZero) throws ProtocolException {
        int start = pos;
        long n = 0;
        while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') {
            n = n * 10 + (b[pos] - '0');
            if (n > SequenceSet.MAX_NUMBER) {
                throw new ProtocolException("Number out of range");
            }
            pos++;
        }
        if (pos == start) {
            throw new ProtocolException(pos < b.length ? "Expected number" : "Missing argument");
        }
        if (nonZero && n == 0) {
            throw new ProtocolException("Expected a non-zero number");
        }
        return n;
    }

    /** A sequence set (with '*' and, for RFC 5182, '$'). */
    public SequenceSet sequenceSet() throws ProtocolException {
        int start = pos;
        while (pos < b.length && (Chars.isAtomChar(b[pos]) || b[pos] == '*')) {
            pos++;
        }
        if (pos == start) {
            throw new ProtocolException(pos < b.length ? "Expected sequence set" : "Missing argument");
        }
        return SequenceSet.parse(ascii(start, pos));
    }

    /** A parenthesised list of flags (system flags and keywords); "()" gives an empty list. */
    public List<String> flagList() throws ProtocolException {
        if (pos >= b.length || b[pos] != '(') {
            throw new ProtocolException(pos < b.length ? "Expected flag list" : "Missing argument");
        }
        listOpen();
        List<String> flags = new ArrayList<>();
        if (!skip(')')) {
            flags.add(flag());
            while (!skip(')')) {
                listSp();
                flags.add(flag());
            }
        }
        depth--;
        return flags;
    }

    /**
     * The flags of STORE (RFC 3501 9: store-att-flags): a flag list, or one or more flags separated
     * by SP without parentheses.
     */
    public List<String> flags() throws ProtocolException {
        if (peek('(')) {
            return flagList();
        }
        List<String> flags = new ArrayList<>();
        flags.add(flag());
        while (peek(' ')) {
            pos++;
            flags.add(flag());
        }
        return flags;
    }

    /** flag = "\" atom / atom; as written. */
    private String flag() throws ProtocolException {
        if (pos >= b.length) {
            throw new ProtocolException("Missing flag");
        }
        int start = pos;
        if (b[pos] == '\\') {
            pos++;
        }
        while (pos < b.length && Chars.isAtomChar(b[pos])) {
            pos++;
        }
        if (pos == start || (pos == start + 1 && b[start] == '\\')) {
            throw new ProtocolException("Invalid flag");
        }
        return ascii(start, pos);
    }

    /** A fetch argument: a single attribute, a macro (ALL, FAST, FULL) or a parenthesised list. */
    public List<FetchAttribute> fetchAttributes() throws ProtocolException {
        if (pos >= b.length) {
            throw new ProtocolException("Missing argument");
        }
        List<FetchAttribute> atts = new ArrayList<>();
        if (b[pos] == '(') {
            listOpen();
            atts.add(fetchAttribute());
            while (!skip(')')) {
                listSp();
                atts.add(fetchAttribute());
            }
            depth--;
            return atts;
        }
        int save = pos;
        String word = fetchKeyword().toUpperCase(Locale.ROOT);
        switch (word) {
            case "ALL" -> atts.addAll(List.of(new FetchAttribute.Flags(), new FetchAttribute.InternalDate(),
                    new FetchAttribute.Rfc822Size(), new FetchAttribute.Envelope()));
            case "FAST" -> atts.addAll(List.of(new FetchAttribute.Flags(), new FetchAttribute.InternalDate(),
                    new FetchAttribute.Rfc822Size()));
            case "FULL" -> atts.addAll(List.of(new FetchAttribute.Flags(), new FetchAttribute.InternalDate(),
                    new FetchAttribute.Rfc822Size(), new FetchAttribute.Envelope(),
                    new FetchAttribute.BodyStructure(false)));
            default -> {
                pos = save;
                atts.add(fetchAttribute());
            }
        }
        return atts;
    }

    private String fetchKeyword() {
        int start = pos;
        while (pos < b.length && (isAlnum(b[pos]) || b[pos] == '.' || b[pos] == '-')) {
            pos++;
        }
        return ascii(start, pos);
    }

    private FetchAttribute fetchAttribute() throws ProtocolException {
        if (pos >= b.length) {
            throw new ProtocolException("Missing fetch attribute");
        }
        String written = fetchKeyword();
        if (written.isEmpty()) {
            throw new ProtocolException("Expected fetch attribute");
        }
        String word = written.toUpperCase(Locale.ROOT);
        switch (word) {
            case "UID":
                return new FetchAttribute.Uid();
            case "FLAGS":
                return new FetchAttribute.Flags();
            case "INTERNALDATE":
                return new FetchAttribute.InternalDate();
            case "RFC822.SIZE":
                return new FetchAttribute.Rfc822Size();
            case "ENVELOPE":
                return new FetchAttribute.Envelope();
            case "MODSEQ": // RFC 7162 3.1.4.1
                return new FetchAttribute.ModSeq();
            case "BODYSTRUCTURE":
                return new FetchAttribute.BodyStructure(true);
            case "RFC822":
                return new FetchAttribute.Rfc822(Section.Kind.ALL);
            case "RFC822.HEADER":
                return new FetchAttribute.Rfc822(Section.Kind.HEADER);
            case "RFC822.TEXT":
                return new FetchAttribute.Rfc822(Section.Kind.TEXT);
            case "BODY":
                if (!peek('[')) {
                    return new FetchAttribute.BodyStructure(false);
                }
                return body(false);
            case "BODY.PEEK":
                if (!peek('[')) {
                    throw new ProtocolException("Expected [ after BODY.PEEK");
                }
                return body(true);
            case "BINARY", "BINARY.PEEK": {
                List<Integer> part = binarySection(word);
                long[] partial = partial();
                return new FetchAttribute.Binary(part, word.endsWith(".PEEK"), partial[0], partial[1]);
            }
            case "BINARY.SIZE":
                return new FetchAttribute.BinarySize(binarySection(word));
            case "SAVEDATE":
                return new FetchAttribute.SaveDate();
            case "EMAILID":
                return new FetchAttribute.EmailId();
            case "THREADID":
                return new FetchAttribute.ThreadId();
            case "PREVIEW":
                return preview();
            default:
                throw new ProtocolException("Unknown fetch attribute " + written);
        }
    }

    /**
     * PREVIEW's modifiers (RFC 8970 3.1): none, or a parenthesised list of which LAZY is the only one
     * defined; an unknown modifier is BAD (section 3.1: "MUST reject").
     */
    private FetchAttribute preview() throws ProtocolException {
        if (!(pos + 1 < b.length && b[pos] == ' ' && b[pos + 1] == '(')) {
            return new FetchAttribute.Preview(false);
        }
        int save = pos;
        pos++;
        if (!peek('(')) {
            pos = save;
            return new FetchAttribute.Preview(false);
        }
        listOpen();
        if (peek(')')) {
            throw new ProtocolException("PREVIEW needs a modifier inside ()");
        }
        boolean lazy = false;
        boolean first = true;
        while (!peek(')')) {
            if (!first) {
                sp();
            }
            first = false;
            String mod = atom();
            if (!mod.equalsIgnoreCase("LAZY")) {
                throw new ProtocolException("Unknown PREVIEW modifier " + mod);
            }
            lazy = true;
        }
        listClose();
        return new FetchAttribute.Preview(lazy);
    }

    private FetchAttribute body(boolean peek) throws ProtocolException {
        pos++; // "["
        Section section = section();
        long[] partial = partial();
        return new FetchAttribute.Body(section, peek, partial[0], partial[1]);
    }

    /** An optional partial, {@code <origin.length>}: {origin, length}, or {-1, -1} if there is none. */
    private long[] partial() throws ProtocolException {
        long origin = -1;
        long length = -1;
        if (skip('<')) {
            origin = number(false);
            if (!skip('.')) {
                throw new ProtocolException("Expected . in partial");
            }
            length = number(true);
            if (!skip('>')) {
                throw new ProtocolException("Expected > after partial");
            }
        }
        return new long[] {origin, length};
    }

    /** RFC 3516 section-binary: "[" [nz-number *("." nz-number)] "]", part numbers only. */
    private List<Integer> binarySection(String item) throws ProtocolException {
        if (!skip('[')) {
            throw new ProtocolException("Expected [ after " + item);
        }
        List<Integer> part = new ArrayList<>();
        if (skip(']')) {
            return part;
        }
        while (true) {
            long n = number(true);
            if (n > Integer.MAX_VALUE) {
                throw new ProtocolException("Section part number out of range");
            }
            part.add((int) n);
            if (skip(']')) {
                return part;
            }
            if (!skip('.')) {
                throw new ProtocolException("Expected ] after section");
            }
            if (pos < b.length && !(b[pos] >= '0' && b[pos] <= '9')) {
                throw new ProtocolException(item + " takes part numbers only");
            }
        }
    }

    /**
     * A section-spec alone, as an IMAP URL's ;SECTION= names it once percent-decoded (RFC 5092
     * section 6): the grammar of FETCH BODY[...] between the brackets, nothing after it.
     */
    static Section sectionSpec(String spec) throws ProtocolException {
        ArgReader r = new ArgReader((spec + "]").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Section s = r.section();
        r.end();
        return s;
    }

    /** section-spec up to and including "]"; "[" already read. */
    private Section section() throws ProtocolException {
        List<Integer> part = new ArrayList<>();
        if (skip(']')) {
            return new Section(part, Section.Kind.ALL, List.of());
        }
        while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') {
            long n = number(true);
            if (n > Integer.MAX_VALUE) {
                throw new ProtocolException("Section part number out of range");
            }
            part.add((int) n);
            if (!skip('.')) {
                break;
            }
        }
        Section.Kind kind = Section.Kind.ALL;
        List<String> fields = List.of();
        if (part.isEmpty() || b[pos - 1] == '.') {
            int start = pos;
            while (pos < b.length && (isAlnum(b[pos]) || b[pos] == '.')) {
                pos++;
            }
            String text = ascii(start, pos).toUpperCase(Locale.ROOT);
            kind = switch (text) {
                case "HEADER" -> Section.Kind.HEADER;
                case "HEADER.FIELDS" -> Section.Kind.HEADER_FIELDS;
                case "HEADER.FIELDS.NOT" -> Section.Kind.HEADER_FIELDS_NOT;
                case "TEXT" -> Section.Kind.TEXT;
                case "MIME" -> {
                    if (part.isEmpty()) {
                        throw new ProtocolException("MIME needs a part number");
                    }
                    yield Section.Kind.MIME;
                }
                default -> throw new ProtocolException(
                        text.isEmpty() ? "Invalid section" : "Unknown section " + ascii(start, pos));
            };
            if (kind == Section.Kind.HEADER_FIELDS || kind == Section.Kind.HEADER_FIELDS_NOT) {
                sp();
                fields = headerList();
            }
        }
        if (!skip(']')) {
            throw new ProtocolException("Expected ] after section");
        }
        return new Section(part, kind, fields);
    }

    private List<String> headerList() throws ProtocolException {
        if (!peek('(')) {
            throw new ProtocolException("Expected header field list");
        }
        listOpen();
        List<String> fields = new ArrayList<>();
        fields.add(headerFieldName());
        while (!skip(')')) {
            listSp();
            fields.add(headerFieldName());
        }
        depth--;
        return fields;
    }

    /** An astring restricted to what can name a header field: no SP, CTL or 8-bit. */
    private String headerFieldName() throws ProtocolException {
        String name = astring();
        if (name.isEmpty()) {
            throw new ProtocolException("Empty header field name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7F) {
                throw new ProtocolException("Invalid header field name");
            }
        }
        return name;
    }

    /** A date-time in quotes (APPEND, RFC 3501 9). */
    public ZonedDateTime dateTime() throws ProtocolException {
        if (!peek('"')) {
            throw new ProtocolException(pos < b.length ? "Expected date-time" : "Missing argument");
        }
        return ImapDates.parseDateTime(ascii(quoted()));
    }

    /** A SEARCH date, quoted or not (RFC 3501 9: date). */
    public LocalDate date() throws ProtocolException {
        if (peek('"')) {
            return ImapDates.parseDate(ascii(quoted()));
        }
        int start = pos;
        while (pos < b.length && (isAlnum(b[pos]) || b[pos] == '-')) {
            pos++;
        }
        if (pos == start) {
            throw new ProtocolException(pos < b.length ? "Expected date" : "Missing argument");
        }
        return ImapDates.parseDate(ascii(start, pos));
    }

    /**
     * Consumes "(" and enters a list, checking the nesting limit (for SEARCH keys and other lists a
     * caller reads itself). Pair with {@link #listClose()}.
     */
    public void listOpen() throws ProtocolException {
        if (!peek('(')) {
            throw new ProtocolException(pos < b.length ? "Expected (" : "Missing argument");
        }
        if (depth >= maxNesting) {
            throw new ProtocolException("Lists nested too deeply");
        }
        pos++;
        depth++;
    }

    /** Consumes ")" and leaves the list entered by {@link #listOpen()}. */
    public void listClose() throws ProtocolException {
        if (!peek(')')) {
            throw new ProtocolException(pos < b.length ? "Expected )" : "Missing )");
        }
        pos++;
        depth--;
    }

    /** Whether the next bytes are {@code keyword} (any case) followed by SP, ")" or the end. */
    public boolean peekKeyword(String keyword) {
        int n = keyword.length();
        if (pos + n > b.length) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (Character.toUpperCase((char) (b[pos + i] & 0xFF)) != Character.toUpperCase(keyword.charAt(i))) {
                return false;
            }
        }
        return pos + n == b.length || b[pos + n] == ' ' || b[pos + n] == ')';
    }

    /** Whether the next byte is {@code c}, without consuming it. */
    public boolean peek(char c) {
        return pos < b.length && b[pos] == (byte) c;
    }

    /** Consumes {@code c} if it is next; returns whether it did. */
    public boolean skip(char c) {
        if (peek(c)) {
            pos++;
            return true;
        }
        return false;
    }

    /** Whether the whole line has been read. */
    public boolean atEnd() {
        return pos >= b.length;
    }

    /** Throws unless the whole line has been read ("unexpected arguments"). */
    public void end() throws ProtocolException {
        if (pos < b.length) {
            throw new ProtocolException("Unexpected arguments");
        }
    }

    private static boolean isAlnum(byte c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    private String ascii(int from, int to) {
        return new String(b, from, to - from, StandardCharsets.US_ASCII);
    }

    private static String ascii(byte[] bytes) throws ProtocolException {
        for (byte c : bytes) {
            if (c < 0) {
                throw new ProtocolException("Invalid date");
            }
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static String utf8(byte[] bytes) throws ProtocolException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException("Invalid UTF-8 in string");
        }
    }
}
