package posthorn.imap.server.internal.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;

import posthorn.imap.protocol.FetchAttribute;
import posthorn.imap.protocol.ImapDates;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Section;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.MimePart;
import posthorn.imap.server.internal.mime.Structure;
import posthorn.imap.server.internal.mime.TransferDecoding;
import posthorn.imap.server.internal.mime.Preview;
import posthorn.imap.server.internal.state.StoreParts;
import posthorn.store.api.Mailbox;
import posthorn.store.api.ObjectIdMailbox;
import posthorn.store.api.SaveDateMailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * The FETCH response of one message (RFC 3501 7.4.2), from a store handle and what the session knows
 * of the message; which messages, and setting \Seen, are the command's. A whole message is streamed
 * from the store; sections are cut from the message in memory, which is read and parsed at most once.
 * ENVELOPE, BODY and BODYSTRUCTURE come from the store's cache when it has them, else from the parsed
 * message (only its header for ENVELOPE), and are cached. BINARY and BINARY.SIZE (RFC 3516) decode
 * transfer encodings (of the whole message: of every leaf part, see {@link TransferDecoding}), or throw
 * {@link TransferDecoding.UnknownCteException}; BINARY.SIZE is counted without the bytes. The message's
 * structure is followed as far as the command's {@link MimeCuts} limits let it.
 */
public final class FetchRenderer {
    /** The store cache field of PREVIEW (RFC 8970) texts, UTF-8. */
    static final String PREVIEW = "imap.preview";
    private FetchRenderer() {
    }

    /**
     * The sequence number to pass once UIDONLY is on (RFC 9586 3.3): the response is then
     * {@code * uid UIDFETCH (...)}, with the UID item only if it is among the items (asked for).
     */
    public static final int UID_ONLY = 0;

    /** {@code * seq FETCH (}, or {@code * uid UIDFETCH (} for {@link #UID_ONLY}. */
    public static ResponseWriter start(ResponseWriter out, int seq, long uid) throws IOException {
        return seq == UID_ONLY ? out.untagged().number(uid).raw(" UIDFETCH (")
                : out.untagged().number(seq).raw(" FETCH (");
    }

    /**
     * Whether every item is one that {@link #writeFromView} answers from the session's view alone:
     * UID, FLAGS and MODSEQ (the store's number for the UID), none of which sets \Seen.
     */
    public static boolean viewOnly(List<FetchAttribute> items) {
        for (FetchAttribute a : items) {
            if (!(a instanceof FetchAttribute.Uid || a instanceof FetchAttribute.Flags
                    || a instanceof FetchAttribute.ModSeq)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The response {@link #write} gives for items that {@link #viewOnly} accepts, from the view's
     * arrays by the message's slot: no {@link MessageMeta}, and the flag list rendered once per
     * distinct flag set ({@link SelectedMailbox#flagListAt}). A FETCH 1:* (UID FLAGS) of a big
     * mailbox is this, 50,000 times.
     */
    public static void writeFromView(ResponseWriter out, SelectedMailbox view, int seq, long uid,
                                     List<FetchAttribute> items) throws IOException {
        start(out, view.at(seq), uid);
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                out.sp();
            }
            switch (items.get(i)) {
                case FetchAttribute.Uid x -> out.raw(UID_ITEM).number(uid);
                case FetchAttribute.Flags x -> out.raw(FLAGS_ITEM).raw(view.flagListAt(seq));
                case FetchAttribute.ModSeq x -> out.raw(MODSEQ_ITEM).number(modSeq(view.store(), uid)).close();
                default -> throw new IllegalArgumentException("not an item of the view: " + items.get(i));
            }
        }
        out.close().crlf();
    }

    private static final byte[] UID_ITEM = "UID ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FLAGS_ITEM = "FLAGS ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MODSEQ_ITEM = "MODSEQ (".getBytes(StandardCharsets.US_ASCII);

    /**
     * Writes {@code * seq FETCH (...)} with the items in the order given.
     *
     * @param recent whether the message is \Recent for this session, for FLAGS
     * @param cuts   the bounds to parse the message with, and where a message cut short is noted
     * @return false, with nothing written, if the message vanished from the store
     */
    public static boolean write(ResponseWriter out, Mailbox box, int seq, MessageMeta meta, boolean recent,
                                List<FetchAttribute> items, MimeCuts cuts)
            throws IOException, StoreException, TransferDecoding.UnknownCteException {
        return write(out, box, seq, meta, recent, new Plan(items, cuts), cuts);
    }

    /**
     * What a FETCH's items need, worked out once per command rather than once per message: which
     * items read the message's text, whether the one text item is the whole message, and the store
     * cache field of each derived item (ENVELOPE, BODY, BODYSTRUCTURE, PREVIEW) under the command's
     * MIME bounds.
     */
    public static final class Plan {
        final List<FetchAttribute> items;
        /** Per item, its cache field ({@link #cacheField}), or null for an item not derived. */
        final String[] fields;
        final int textItems;
        final boolean metaOnly;
        final boolean wholeOnly;

        public Plan(List<FetchAttribute> items, MimeCuts cuts) {
            this.items = items;
            this.fields = new String[items.size()];
            int text = 0;
            boolean allWhole = true;
            boolean meta = true;
            for (int i = 0; i < items.size(); i++) {
                FetchAttribute a = items.get(i);
                fields[i] = cacheField(a, cuts);
                if (needsText(a)) {
                    text++;
                    allWhole &= isWhole(a);
                    meta = false;
                } else if (fields[i] != null) {
                    meta = false;
                }
            }
            this.textItems = text;
            this.metaOnly = meta;
            this.wholeOnly = text == 1 && allWhole;
        }
    }

    /** {@link #write(ResponseWriter, Mailbox, int, MessageMeta, boolean, List, MimeCuts)} with the command's plan. */
    public static boolean write(ResponseWriter out, Mailbox box, int seq, MessageMeta meta, boolean recent,
                                Plan plan, MimeCuts cuts)
            throws IOException, StoreException, TransferDecoding.UnknownCteException {
        List<FetchAttribute> items = plan.items;
        long uid = meta.uid();
        if (plan.metaOnly) {
            // FETCH 1:* (INTERNALDATE RFC822.SIZE) and the like: what the session holds answers it, with
            // no per-message arrays and nothing read from the store's message files.
            writeItems(out, box, seq, meta, recent, items, null, null, null, null);
            return true;
        }
        boolean wholeOnly = plan.wholeOnly;
        // Derived values first from the cache; the message is read (once) only for what is missing.
        byte[][] derived = new byte[items.size()][];
        boolean needText = plan.textItems > 0 && !wholeOnly;
        boolean needHeader = false;
        for (int i = 0; i < items.size(); i++) {
            String field = plan.fields[i];
            if (field != null) {
                derived[i] = DerivedCache.get(box, uid, field);
                if (derived[i] == null) {
                    if (items.get(i) instanceof FetchAttribute.Envelope) {
                        needHeader = true;
                    } else {
                        needText = true;
                    }
                }
            }
        }
        if (plan.textItems == 0 && !needText && !needHeader) {
            // FETCH 1:* (ENVELOPE), (BODYSTRUCTURE) of a warm mailbox: every value was in the cache
            writeItems(out, box, seq, meta, recent, items, derived, null, null, null);
            return true;
        }
        Parsed data = null;
        if (needText || needHeader) {
            byte[] text = read(box, uid, !needText);
            if (text == null) {
                return false;
            }
            data = new Parsed(text, uid, cuts);
        }
        boolean structureDerived = false;
        boolean envelopeSeen = false;
        for (int i = 0; i < items.size(); i++) {
            String field = plan.fields[i];
            if (field != null && derived[i] == null) {
                switch (items.get(i)) {
                    case FetchAttribute.Envelope e -> {
                        derived[i] = DerivedCache.envelope(box, meta, data.root().header());
                        envelopeSeen = true;
                    }
                    case FetchAttribute.BodyStructure b -> {
                        derived[i] = Structure.bodyStructure(data.m, data.root(), b.extensible());
                        DerivedCache.put(box, uid, field, derived[i]);
                        structureDerived = true;
                    }
                    case FetchAttribute.Preview p -> {
                        // RFC 8970: computed once, then served from the store's cache (imap.preview)
                        derived[i] = Preview.of(data.m, data.root()).getBytes(StandardCharsets.UTF_8);
                        DerivedCache.put(box, uid, field, derived[i]);
                    }
                    default -> throw new AssertionError();
                }
            }
        }
        if (structureDerived && !envelopeSeen) {
            // The whole message was read for BODYSTRUCTURE: the header's values come from the same bytes.
            DerivedCache.completeHeaderValues(box, meta, data.root().header());
        }
        // Cut every section before writing, so that a failure cannot leave a response half written.
        byte[][] sections = new byte[items.size()][];
        long[] sizes = new long[items.size()];
        for (int i = 0; i < items.size(); i++) {
            FetchAttribute a = items.get(i);
            if (a instanceof FetchAttribute.Body b && !(wholeOnly && isWhole(b))) {
                byte[] bytes = data.section(b.section());
                sections[i] = b.origin() >= 0 ? MessageSections.partial(bytes, b.origin(), b.length()) : bytes;
            } else if (a instanceof FetchAttribute.Rfc822 r && !(wholeOnly && isWhole(r))) {
                sections[i] = data.section(new Section(List.of(), r.kind(), List.of()));
            } else if (a instanceof FetchAttribute.Binary b) {
                sections[i] = b.origin() >= 0 ? data.binaryPartial(b.part(), b.origin(), b.length()) : data.binary(b.part());
            } else if (a instanceof FetchAttribute.BinarySize b) {
                sizes[i] = data.binarySize(b.part());
            }
        }
        InputStream whole = null;
        if (wholeOnly) {
            try {
                whole = box.openMessage(uid);
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                    return false;
                }
                throw e;
            }
        }
        try {
            writeItems(out, box, seq, meta, recent, items, derived, sections, sizes, whole);
        } finally {
            if (whole != null) {
                whole.close();
            }
        }
        return true;
    }

    /**
     * The response line itself; {@code derived} and {@code sections} hold what the items need at
     * their index (null for an item of the message's metadata), {@code sizes} BINARY.SIZE's at its
     * index, {@code whole} the open message when
     * the one text item is all of it.
     */
    private static void writeItems(ResponseWriter out, Mailbox box, int seq, MessageMeta meta, boolean recent,
                                   List<FetchAttribute> items, byte[][] derived, byte[][] sections, long[] sizes,
                                   InputStream whole)
            throws IOException, StoreException {
        long uid = meta.uid();
        start(out, seq, uid);
        boolean first = true;
        for (int i = 0; i < items.size(); i++) {
            FetchAttribute a = items.get(i);
            if (!first) {
                out.sp();
            }
            first = false;
            switch (a) {
                case FetchAttribute.Uid x -> out.raw("UID ").number(uid);
                case FetchAttribute.ModSeq x -> out.raw("MODSEQ (").number(modSeq(box, uid)).raw(")");
                case FetchAttribute.Flags x -> {
                    out.raw("FLAGS ");
                    SelectedMailbox.writeFlags(out, meta.flags(), recent);
                }
                case FetchAttribute.InternalDate x -> out.raw("INTERNALDATE \"")
                        .raw(ImapDates.formatDateTime(meta.internalDate().atZone(ZoneId.systemDefault())))
                        .raw("\"");
                case FetchAttribute.Rfc822Size x -> out.raw("RFC822.SIZE ").number(box.size(meta));
                case FetchAttribute.Envelope x -> out.raw("ENVELOPE ").raw(derived[i]);
                case FetchAttribute.BodyStructure x -> out.raw(x.extensible() ? "BODYSTRUCTURE " : "BODY ")
                        .raw(derived[i]);
                case FetchAttribute.Rfc822 r -> {
                    switch (r.kind()) {
                        case HEADER -> out.raw("RFC822.HEADER ").literal(sections[i]);
                        case TEXT -> out.raw("RFC822.TEXT ").literal(sections[i]);
                        default -> {
                            out.raw("RFC822 ");
                            body(out, sections[i], whole, box, meta);
                        }
                    }
                }
                case FetchAttribute.Body b -> {
                    out.raw("BODY[").raw(responseSpec(b.section())).raw("]");
                    if (b.origin() >= 0) {
                        out.raw("<").number(b.origin()).raw(">");
                    }
                    out.sp();
                    body(out, sections[i], whole, box, meta);
                }
                case FetchAttribute.Binary b -> {
                    out.raw("BINARY[").raw(b.spec()).raw("]");
                    if (b.origin() >= 0) {
                        out.raw("<").number(b.origin()).raw(">");
                    }
                    out.sp().binary(sections[i]);
                }
                case FetchAttribute.BinarySize b -> out.raw("BINARY.SIZE[").raw(b.spec()).raw("] ")
                        .number(sizes[i]);
                case FetchAttribute.SaveDate x -> saveDate(out, box, uid);
                case FetchAttribute.EmailId x -> emailId(out, box, uid);
                case FetchAttribute.ThreadId x -> threadId(out, box, uid);
                case FetchAttribute.Preview x -> out.raw("PREVIEW ").string(new String(derived[i], StandardCharsets.UTF_8));
            }
        }
        out.close().crlf();
    }

    /** SAVEDATE (RFC 8514 4.1): the store's date, or NIL where it knows none. */
    private static void saveDate(ResponseWriter out, Mailbox box, long uid) throws IOException, StoreException {
        SaveDateMailbox dates = StoreParts.of(box, SaveDateMailbox.class);
        Instant at = dates == null ? null : dates.saveDates(List.of(uid)).get(uid);
        out.raw("SAVEDATE ");
        if (at == null) {
            out.nil();
        } else {
            out.raw("\"").raw(ImapDates.formatDateTime(at.atZone(ZoneId.systemDefault()))).raw("\"");
        }
    }

    /** EMAILID (RFC 8474 5.1): {@code EMAILID (id)}. */
    private static void emailId(ResponseWriter out, Mailbox box, long uid) throws IOException {
        ObjectIdMailbox ids = StoreParts.of(box, ObjectIdMailbox.class);
        String id = ids == null ? null : ids.emailId(uid);
        out.raw("EMAILID ");
        if (id == null) {
            out.nil(); // only without the store part, where OBJECTID is not announced
        } else {
            out.raw("(").raw(id).raw(")");
        }
    }

    /** THREADID (RFC 8474 5.2): NIL where the store keeps no threads (5.3). */
    private static void threadId(ResponseWriter out, Mailbox box, long uid) throws IOException {
        ObjectIdMailbox ids = StoreParts.of(box, ObjectIdMailbox.class);
        String id = ids == null ? null : ids.threadId(uid);
        out.raw("THREADID ");
        if (id == null) {
            out.nil();
        } else {
            out.raw("(").raw(id).raw(")");
        }
    }

    /** The message's text (or only its header), parsed when a section first needs it. */
    private static final class Parsed {
        final byte[] m;
        private final long uid;
        private final MimeCuts cuts;
        private MimePart root;

        Parsed(byte[] m, long uid, MimeCuts cuts) {
            this.m = m;
            this.uid = uid;
            this.cuts = cuts;
        }

        MimePart root() {
            if (root == null) {
                root = MimePart.parse(m, cuts.limits());
                cuts.note(uid, root.cut());
            }
            return root;
        }

        /** The bytes of a body section, before any partial; NUL made 0x80. */
        byte[] section(Section s) {
            return MessageSections.noNul(s.part().isEmpty() && s.kind() == Section.Kind.ALL
                    ? m : MessageSections.extract(m, root(), s));
        }

        /**
         * The content BINARY[part] names, its transfer encoding undone (RFC 3516); NUL is kept, since
         * it goes out as a literal8. A part that does not exist is empty.
         */
        byte[] binary(List<Integer> part) throws TransferDecoding.UnknownCteException {
            byte[] b = TransferDecoding.binarySection(m, root(), part);
            return b == null ? new byte[0] : b;
        }

        /** BINARY[part]<origin.length>: only the window is held while the part is decoded. */
        byte[] binaryPartial(List<Integer> part, long origin, long length) throws TransferDecoding.UnknownCteException {
            byte[] b = TransferDecoding.binaryPartial(m, root(), part, origin, length);
            return b == null ? new byte[0] : b;
        }

        /** BINARY.SIZE[part] (RFC 3516 4.2): the length {@link #binary} has, counted without its bytes. */
        long binarySize(List<Integer> part) throws TransferDecoding.UnknownCteException {
            return Math.max(0, TransferDecoding.binarySize(m, root(), part));
        }
    }

    /** The section as the response names it: header field names in upper case, as Dovecot writes them. */
    static String responseSpec(Section s) {
        if (s.fields().isEmpty()) {
            return s.spec();
        }
        return new Section(s.part(), s.kind(), s.fields().stream().map(f -> f.toUpperCase(Locale.ROOT)).toList()).spec();
    }

    /**
     * A message's MODSEQ (RFC 7162) from the store's view; for one expunged meanwhile (no longer in
     * it), or a store that keeps none (the command refuses MODSEQ then), the mailbox's HIGHESTMODSEQ,
     * which is at least the MODSEQ of what the client was told of the message.
     */
    public static long modSeq(Mailbox box, long uid) {
        if (box instanceof posthorn.store.api.ModSeqMailbox m) {
            long mod = m.modSeq(uid);
            return mod > 0 ? mod : Math.max(1, m.highestModSeq());
        }
        return 1;
    }

    private static String cacheField(FetchAttribute a, MimeCuts cuts) {
        return switch (a) {
            case FetchAttribute.Envelope e -> DerivedCache.ENVELOPE;
            case FetchAttribute.BodyStructure b ->
                    DerivedCache.structureField(b.extensible() ? DerivedCache.BODYSTRUCTURE : DerivedCache.BODY,
                            cuts.limits());
            case FetchAttribute.Preview p -> PREVIEW;
            default -> null;
        };
    }

    private static void body(ResponseWriter out, byte[] section, InputStream whole, Mailbox box, MessageMeta meta)
            throws IOException, StoreException {
        if (section == null) {
            out.literal(whole, box.size(meta)); // the store measures a size it did not know yet (store.api 1.5)
        } else {
            out.literal(section);
        }
    }

    /**
     * Writes {@code * seq FETCH (...)} for a message another session expunged, with what the session
     * still knows of it (RFC 2180 4.1.3, as Dovecot answers): UID, FLAGS, INTERNALDATE and
     * RFC822.SIZE from its metadata, ENVELOPE and BODYSTRUCTURE from the store's cache if it has
     * them, and body sections (BODY[...], RFC822..., BINARY[...]) as NIL. An item that cannot be NIL
     * by the grammar and is not known (ENVELOPE, BODY, BODYSTRUCTURE, BINARY.SIZE) is left out.
     *
     * @return true if every item was sent with its data (nothing was NIL or left out)
     */
    public static boolean writeExpunged(ResponseWriter out, Mailbox box, int seq, MessageMeta meta, boolean recent,
                                        List<FetchAttribute> items, MimeCuts cuts) throws IOException {
        boolean complete = true;
        boolean first = true;
        start(out, seq, meta.uid());
        for (FetchAttribute a : items) {
            byte[] derived = null;
            String field = cacheField(a, cuts);
            if (field != null) {
                derived = DerivedCache.get(box, meta.uid(), field);
                if (derived == null) {
                    complete = false;
                    continue;
                }
            }
            if (a instanceof FetchAttribute.BinarySize
                    || (a instanceof FetchAttribute.Rfc822Size && meta.size() == MessageMeta.UNKNOWN_SIZE)) {
                complete = false; // a size never measured cannot be measured once the message is gone
                continue;
            }
            if (a instanceof FetchAttribute.SaveDate || a instanceof FetchAttribute.EmailId
                    || a instanceof FetchAttribute.ThreadId) {
                complete = false; // the store's per-message lookups need the message in its view
                continue;
            }
            if (!first) {
                out.sp();
            }
            first = false;
            switch (a) {
                case FetchAttribute.Uid x -> out.raw("UID ").number(meta.uid());
                case FetchAttribute.ModSeq x -> out.raw("MODSEQ (").number(modSeq(box, meta.uid())).raw(")");
                case FetchAttribute.Flags x -> {
                    out.raw("FLAGS ");
                    SelectedMailbox.writeFlags(out, meta.flags(), recent);
                }
                case FetchAttribute.InternalDate x -> out.raw("INTERNALDATE \"")
                        .raw(ImapDates.formatDateTime(meta.internalDate().atZone(ZoneId.systemDefault())))
                        .raw("\"");
                case FetchAttribute.Rfc822Size x -> out.raw("RFC822.SIZE ").number(meta.size());
                case FetchAttribute.Envelope x -> out.raw("ENVELOPE ").raw(derived);
                case FetchAttribute.BodyStructure x -> out.raw(x.extensible() ? "BODYSTRUCTURE " : "BODY ").raw(derived);
                case FetchAttribute.Rfc822 r -> {
                    out.raw(switch (r.kind()) {
                        case HEADER -> "RFC822.HEADER";
                        case TEXT -> "RFC822.TEXT";
                        default -> "RFC822";
                    }).raw(" NIL");
                    complete = false;
                }
                case FetchAttribute.Body b -> {
                    out.raw("BODY[").raw(responseSpec(b.section())).raw("]");
                    if (b.origin() >= 0) {
                        out.raw("<").number(b.origin()).raw(">");
                    }
                    out.raw(" NIL");
                    complete = false;
                }
                case FetchAttribute.Binary b -> {
                    out.raw("BINARY[").raw(b.spec()).raw("]");
                    if (b.origin() >= 0) {
                        out.raw("<").number(b.origin()).raw(">");
                    }
                    out.raw(" NIL");
                    complete = false;
                }
                case FetchAttribute.BinarySize b -> throw new AssertionError();
                case FetchAttribute.SaveDate x -> throw new AssertionError();
                case FetchAttribute.EmailId x -> throw new AssertionError();
                case FetchAttribute.ThreadId x -> throw new AssertionError();
                case FetchAttribute.Preview x -> out.raw("PREVIEW ").string(new String(derived, StandardCharsets.UTF_8));
            }
        }
        out.raw(")").crlf();
        return complete;
    }

    /**
     * What an IMAP URL names of a message (RFC 5092 ;SECTION=, RFC 5550 ;PARTIAL=), for CATENATE and
     * URLFETCH: the octets FETCH BODY.PEEK[section]&lt;origin.length&gt; would send, cut by the same
     * code. A whole message is streamed from the store (a range of it skipped to, never read whole); a
     * section is cut from the message in memory, as FETCH cuts it.
     *
     * @param origin the range's first octet, or -1 for no range
     * @param length the range's most octets, or -1 for "to the end"
     * @return the octets and their count, or null if the message vanished; the caller closes it
     */
    public static UrlBody urlSection(Mailbox box, MessageMeta meta, Section section, long origin, long length,
                                     MimeCuts cuts) throws IOException, StoreException {
        long uid = meta.uid();
        long to = length < 0 ? Long.MAX_VALUE : origin + length;
        if (section == null || (section.part().isEmpty() && section.kind() == Section.Kind.ALL)) {
            long size;
            InputStream in;
            try {
                size = box.size(meta);
                in = box.openMessage(uid);
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                    return null;
                }
                throw e;
            }
            if (origin < 0) {
                return new UrlBody(size, in);
            }
            long from = Math.min(origin, size);
            in.skipNBytes(from);
            long n = Math.min(size, to) - from;
            return new UrlBody(n, new java.io.BufferedInputStream(new BoundedInput(in, n)));
        }
        byte[] text = read(box, uid, false);
        if (text == null) {
            return null;
        }
        byte[] bytes = new Parsed(text, uid, cuts).section(section);
        if (origin >= 0) {
            bytes = MessageSections.partial(bytes, origin, to - origin);
        }
        return new UrlBody(bytes.length, new java.io.ByteArrayInputStream(bytes));
    }

    /** The octets an IMAP URL names: exactly {@code size} of them in {@code in}. */
    public record UrlBody(long size, InputStream in) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** At most {@code left} octets of a stream; closes it. */
    private static final class BoundedInput extends java.io.FilterInputStream {
        private long left;

        BoundedInput(InputStream in, long left) {
            super(in);
            this.left = left;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int c = super.read();
            if (c >= 0) {
                left--;
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    /** The message's text, or only its header; null if the message vanished. */
    private static byte[] read(Mailbox box, long uid, boolean headerOnly) throws IOException, StoreException {
        try (InputStream in = box.openMessage(uid)) {
            return headerOnly ? MimePart.readHeader(in) : in.readAllBytes();
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                return null;
            }
            throw e;
        }
    }

    private static boolean needsText(FetchAttribute a) {
        return a instanceof FetchAttribute.Body || a instanceof FetchAttribute.Rfc822
                || a instanceof FetchAttribute.Binary || a instanceof FetchAttribute.BinarySize;
    }

    private static boolean isWhole(FetchAttribute a) {
        return switch (a) {
            case FetchAttribute.Body b -> b.section().part().isEmpty() && b.section().kind() == Section.Kind.ALL
                    && b.origin() < 0;
            case FetchAttribute.Rfc822 r -> r.kind() == Section.Kind.ALL;
            default -> false;
        };
    }
}
