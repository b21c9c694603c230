package posthorn.imap.server.internal.search;

import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.mime.Address;
import posthorn.imap.server.internal.mime.Header;
import posthorn.imap.server.internal.mime.MessageDate;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.mime.MimePart;
import posthorn.imap.server.internal.state.StoreParts;
import posthorn.store.api.Flags;
import posthorn.store.api.ObjectIdMailbox;
import posthorn.store.api.SaveDateMailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * Evaluates a search key against the messages of a selected mailbox. Per message it reads only what
 * the key needs, once: nothing for flags, sizes and dates; the header for header keys; one streamed
 * pass through the whole message for every BODY and TEXT key together, its MIME structure followed as
 * far as the {@link MimeLimits} go. The evaluation recurses once a level of the key, whose depth
 * {@link SearchParser} bounds. Not thread-safe.
 */
public final class Matcher {
    private final SelectedMailbox view;
    private final SearchKey key;
    private final MimeCuts cuts;
    private final List<String> bodyNeedles = new ArrayList<>();
    private final List<String> textNeedles = new ArrayList<>();
    /** The UIDs that may match (a full-text index's answer), or null for all. */
    private final LongPredicate candidates;

    // Per message, filled lazily.
    private long uid;
    private Header header;
    private boolean[] bodyFound;
    private boolean[] textFound;
    private boolean vanished;
    /** "Now" for WITHIN (RFC 5032), epoch seconds: one instant for the whole search. */
    private final long now = java.time.Instant.now().getEpochSecond();

    /** @param cuts the bounds to parse with, and where the messages cut short are noted */
    public Matcher(SelectedMailbox view, SearchKey key, MimeCuts cuts) {
        this(view, key, cuts, null);
    }

    /**
     * @param candidates the UIDs that may match, from a full-text index for the key's text conditions
     *                   ({@link TextTerms}); the others are skipped unread, each candidate is evaluated
     *                   in full as without an index. Null evaluates every message.
     */
    public Matcher(SelectedMailbox view, SearchKey key, MimeCuts cuts, LongPredicate candidates) {
        this.view = view;
        this.key = key;
        this.cuts = cuts;
        this.candidates = candidates;
        collect(key);
    }

    private void collect(SearchKey k) {
        switch (k) {
            case SearchKey.Text t -> (t.withHeader() ? textNeedles : bodyNeedles).add(TextScanner.fold(t.text()));
            case SearchKey.Not n -> collect(n.key());
            case SearchKey.Or o -> {
                collect(o.a());
                collect(o.b());
            }
            case SearchKey.And a -> a.keys().forEach(this::collect);
            default -> {
            }
        }
    }

    /** Told how far a search has come (INPROGRESS, RFC 9585): messages looked at, of how many. */
    @FunctionalInterface
    public interface Progress {
        void at(long done, long total) throws IOException;
    }

    /** The sequence numbers that match, ascending. Messages expunged meanwhile are left out. */
    public List<Integer> matching() throws IOException, StoreException {
        return matching(null);
    }

    /** As {@link #matching()}, telling {@code progress} (if not null) every few hundred messages. */
    public List<Integer> matching(Progress progress) throws IOException, StoreException {
        int[] seqs = matchingSeqs(progress);
        List<Integer> out = new ArrayList<>(seqs.length);
        for (int seq : seqs) {
            out.add(seq);
        }
        return out;
    }

    /**
     * As {@link #matching(Progress)}, as an array of exactly the matching sequence numbers (SORT and
     * THREAD go through 50,000 of them: no boxed number each). ALL alone (the usual SORT and THREAD
     * criteria) matches every message not expunged without building its {@link MessageMeta}.
     */
    public int[] matchingSeqs(Progress progress) throws IOException, StoreException {
        int exists = view.exists();
        int[] out = new int[exists];
        int n = 0;
        boolean all = key instanceof SearchKey.All && candidates == null;
        for (int seq = 1; seq <= exists; seq++) {
            if (progress != null && (seq & 255) == 0) {
                progress.at(seq - 1, exists);
            }
            long u = view.uidAt(seq);
            if (view.isExpunged(u) || (candidates != null && !candidates.test(u))) {
                continue;
            }
            if (all || evaluate(seq, u)) {
                out[n++] = seq;
            }
        }
        return n == exists ? out : java.util.Arrays.copyOf(out, n);
    }

    /**
     * Whether the message with this sequence number matches (false if it has been expunged
     * meanwhile): for RETURN (UPDATE) contexts (RFC 5267 4.2), which look again only at the messages
     * that changed.
     */
    public boolean test(int seq) throws IOException, StoreException {
        long u = view.uidAt(seq);
        return !view.isExpunged(u) && evaluate(seq, u);
    }

    private boolean evaluate(int seq, long u) throws IOException, StoreException {
        uid = u;
        header = null;
        bodyFound = null;
        textFound = null;
        vanished = false;
        return matches(key, seq, view.meta(u)) && !vanished;
    }

    private boolean matches(SearchKey k, int seq, MessageMeta meta) throws IOException, StoreException {
        return switch (k) {
            case SearchKey.All a -> true;
            case SearchKey.Flag f -> hasFlag(meta, f.flag()) == f.set();
            case SearchKey.Recent r -> view.isRecent(uid) == r.recent();
            case SearchKey.New n -> view.isRecent(uid) && !meta.flags().contains(Flags.SEEN);
            case SearchKey.Set s -> s.set().isSaved()
                    ? view.inSavedResult(uid)
                    : s.uid()
                    ? s.set().contains(uid, view.uidAt(view.exists()))
                    : s.set().contains(seq, view.exists());
            case SearchKey.Size s -> s.larger() ? size(meta) > s.size() : size(meta) < s.size();
            case SearchKey.ModSeq m -> view.modSeq(uid) >= m.modSeq();
            case SearchKey.Date d -> compare(d.op(), d.sent() ? sentDate(meta) : internalDate(meta), d.date());
            case SearchKey.Within w -> within(w, meta);
            case SearchKey.Header h -> header(h);
            case SearchKey.Address ad -> address(ad);
            case SearchKey.Text t -> text(t);
            case SearchKey.SaveDate d -> compare(d.op(), saveDate(meta), d.date());
            case SearchKey.SaveDateSupported x -> StoreParts.of(view.store(), SaveDateMailbox.class) != null;
            case SearchKey.ObjectId o -> objectIdMatches(o);
            case SearchKey.Not n -> !matches(n.key(), seq, meta);
            case SearchKey.Or o -> matches(o.a(), seq, meta) || matches(o.b(), seq, meta);
            case SearchKey.And a -> {
                for (SearchKey x : a.keys()) {
                    if (!matches(x, seq, meta)) {
                        yield false;
                    }
                }
                yield true;
            }
        };
    }

    /** RFC822.SIZE, measured by the store where it did not know it yet (store.api 1.5). */
    private long size(MessageMeta meta) throws StoreException {
        try {
            return view.store().size(meta);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                vanished = true;
                return 0;
            }
            throw e;
        }
    }

    private static boolean hasFlag(MessageMeta meta, String flag) {
        if (meta.flags().contains(flag)) {
            return true;
        }
        for (String f : meta.flags()) {
            if (f.equalsIgnoreCase(flag)) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 5032 3: OLDER n matches an internal date more than n seconds before now, YOUNGER n one at
     * most n seconds before (Dovecot: OLDER is BEFORE now - n, YOUNGER is SINCE now - n, to the second).
     */
    private boolean within(SearchKey.Within w, MessageMeta meta) {
        long limit = now - w.seconds();
        long date = meta.internalDate().getEpochSecond();
        return w.older() ? date < limit : date >= limit;
    }

    private static boolean compare(SearchKey.DateOp op, LocalDate have, LocalDate want) {
        return switch (op) {
            case BEFORE -> have.isBefore(want);
            case ON -> have.equals(want);
            case SINCE -> !have.isBefore(want);
        };
    }

    /** RFC 8514 4.2: the save date's day; the internal date's where the store knows no save date. */
    private LocalDate saveDate(MessageMeta meta) throws StoreException {
        SaveDateMailbox dates = StoreParts.of(view.store(), SaveDateMailbox.class);
        java.time.Instant at = dates == null ? null : dates.saveDates(List.of(uid)).get(uid);
        return at == null ? internalDate(meta) : at.atZone(ZoneId.systemDefault()).toLocalDate();
    }

    /** RFC 8474 6; a THREADID never matches where the store keeps no threads (it is NIL, 5.3). */
    private boolean objectIdMatches(SearchKey.ObjectId o) {
        ObjectIdMailbox ids = StoreParts.of(view.store(), ObjectIdMailbox.class);
        if (ids == null) {
            return false;
        }
        String have = o.thread() ? ids.threadId(uid) : ids.emailId(uid);
        return o.id().equals(have);
    }

    static LocalDate internalDate(MessageMeta meta) {
        return meta.internalDate().atZone(ZoneId.systemDefault()).toLocalDate();
    }

    /** The Date header's day, time and zone disregarded (RFC 3501 6.4.4); the internal date if there is none. */
    private LocalDate sentDate(MessageMeta meta) throws IOException, StoreException {
        MessageDate d = MessageDate.parse(header().lastValue("Date"));
        return d != null ? d.day() : internalDate(meta);
    }

    private boolean header(SearchKey.Header h) throws IOException, StoreException {
        Header hd = header();
        String needle = TextScanner.fold(h.text());
        for (Header.Field f : hd.fields()) {
            for (String name : h.names()) {
                if (f.name().equalsIgnoreCase(name)
                        && (needle.isEmpty() || TextScanner.fold(TextScanner.decodeHeader(f.value())).contains(needle))) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean address(SearchKey.Address k) throws IOException, StoreException {
        String needle = TextScanner.fold(k.text());
        for (Header.Field f : header().fields()) {
            if (f.name().equalsIgnoreCase(k.field()) && addressesMatch(f.value(), needle)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether one of the addresses in a header value contains the case-folded needle, each written as
     * Dovecot matches it: {@code "display name" <mailbox@host>} (the name RFC 2047-decoded, quoted where
     * it holds specials), {@code mailbox@host} without one, a group's name as {@code name:}; comments and
     * folding whitespace are gone, so {@code <user (c)@ (c) domain.org>} is found as "user@domain.org"
     * and not as "(c)". "" matches any value.
     */
    static boolean addressesMatch(String value, String needle) {
        if (needle.isEmpty()) {
            return true;
        }
        for (Address a : Address.parseList(value.replace("\r", "").replace("\n", ""))) {
            String written;
            if (a.isGroupMarker()) {
                written = a.mailbox() == null ? ";" : a.mailbox() + ":";
            } else {
                String spec = a.mailbox() + "@" + a.host();
                String name = a.name() == null ? "" : displayName(TextScanner.decodeHeader(a.name())) + " ";
                written = name + "<" + spec + ">";
            }
            if (TextScanner.fold(written).contains(needle)) {
                return true;
            }
        }
        return false;
    }

    private static String displayName(String name) {
        for (char c : name.toCharArray()) {
            if ("()<>[]:;@\\,.\"".indexOf(c) >= 0) {
                return '"' + name.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
            }
        }
        return name;
    }

    private Header header() throws IOException, StoreException {
        if (header == null) {
            byte[] bytes = new byte[0];
            try (InputStream in = view.store().openMessage(uid)) {
                bytes = MimePart.readHeader(in);
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.EXPUNGEISSUED) {
                    throw e;
                }
                vanished = true;
            }
            header = MimePart.parseHeader(bytes, bytes.length);
        }
        return header;
    }

    private boolean text(SearchKey.Text t) throws IOException, StoreException {
        if (bodyFound == null) {
            bodyFound = new boolean[bodyNeedles.size()];
            textFound = new boolean[textNeedles.size()];
            try (InputStream in = view.store().openMessage(uid)) {
                cuts.note(uid, TextScanner.scan(in, cuts.limits(), bodyNeedles, bodyFound, textNeedles, textFound));
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.EXPUNGEISSUED) {
                    throw e;
                }
                vanished = true;
            }
        }
        String needle = TextScanner.fold(t.text());
        List<String> needles = t.withHeader() ? textNeedles : bodyNeedles;
        boolean[] found = t.withHeader() ? textFound : bodyFound;
        return found[needles.indexOf(needle)];
    }
}
