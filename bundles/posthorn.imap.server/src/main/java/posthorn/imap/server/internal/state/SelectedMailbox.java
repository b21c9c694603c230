package posthorn.imap.server.internal.state;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.SequenceSet;
import posthorn.store.api.Change;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.ModSeqMailbox;
import posthorn.store.api.StoreException;

/**
 * A session's view of its selected mailbox: the message sequence numbers (RFC 3501 2.3.1.2), which
 * exist only here, mapped to the store's UIDs, and the flags the client was last told of.
 *
 * <p>Store changes reach the client only through {@link #sync}: expunges, flag changes and new
 * messages become EXPUNGE, FETCH and EXISTS/RECENT responses. While a command that uses sequence
 * numbers runs, expunges are held back and the messages keep their numbers (RFC 3501 7.4.1); they
 * are reported at the next point where EXPUNGE is allowed.
 *
 * <p>Memory: the view is a few primitive arrays, one slot per message (a UID, a flag-set number into
 * {@link FlagSets}, the size and INTERNALDATE), about 28 bytes a message and no object per message,
 * so ten sessions with 50,000 messages selected hold ten sets of arrays (1.4 MB each), not 500,000
 * objects. {@link #meta} builds a {@link MessageMeta} when a command asks for one.
 *
 * <p>Owned by one session; not thread-safe.
 */
public final class SelectedMailbox implements AutoCloseable {

    private final Mailbox box;
    /** The bit of {@link #flagIds} that marks a message \Recent for this session. */
    private static final int RECENT_BIT = 1 << 31;
    private static final long[] NO_UIDS = new long[0];

    /** Messages in the view, the first {@code count} slots of each array below. */
    private int count;
    /** Sequence number - 1 -> UID, ascending. Includes messages whose expunge is held back. */
    private long[] uids = NO_UIDS;
    /** Per message: its flag set's number in {@link #flagSets}, with {@link #RECENT_BIT} if \Recent. */
    private int[] flagIds = new int[0];
    /** Per message: RFC822.SIZE as the store gave it. */
    private long[] sizes = NO_UIDS;
    /** Per message: INTERNALDATE, epoch milliseconds (IMAP shows seconds; the index keeps milliseconds). */
    private long[] dates = NO_UIDS;
    private final FlagSets flagSets = new FlagSets();
    private int recentCount;
    /** UIDs the store has expunged but the client still sees. */
    private final Set<Long> heldExpunges = new TreeSet<>();
    private int reportedExists;
    private int reportedRecent;
    /** RECENT responses and the \Recent flag are reported (not after ENABLE IMAP4rev2, RFC 9051). */
    private boolean recentResponses = true;
    /**
     * The search result saved by SEARCH RETURN (SAVE), "$" (RFC 5182), as UIDs: a message expunged
     * drops out of it, and it is empty in a newly selected mailbox (SELECT, EXAMINE, CLOSE and
     * UNSELECT make a new view or none).
     */
    private long[] saved = NO_UIDS;
    /**
     * The keywords the client has been told of in FLAGS and PERMANENTFLAGS: a message's keyword
     * outside them is announced again before a FETCH shows it (RFC 3501 7.2.6).
     */
    private final Set<String> announced = new TreeSet<>();

    /** CONDSTORE is on (RFC 7162 3.1): unsolicited FETCH responses carry MODSEQ. */
    private boolean condStore;
    /** QRESYNC is on (RFC 7162 3.2.10): VANISHED instead of EXPUNGE, and UID in unsolicited FETCH. */
    private boolean qresync;
    /** UIDONLY is on (RFC 9586): no message numbers in responses. */
    private boolean uidOnly;
    /**
     * The RETURN (UPDATE) contexts of SEARCH and SORT (RFC 5267 4.2) on this view, in the order they
     * were made; they end with it (a new SELECT, CLOSE, UNSELECT) or by CANCELUPDATE.
     */
    private final List<ResultWatcher> watchers = new ArrayList<>();
    /**
     * UIDs added or whose flags changed since the watchers last looked, kept only while there are
     * watchers: what a context has to search again.
     */
    private final Set<Long> touched = new TreeSet<>();

    /**
     * A search result kept up to date as the mailbox changes (RFC 5267 4.2, CONTEXT=SEARCH/SORT),
     * told of changes by {@link #sync}, which is where every store change reaches the session.
     */
    public interface ResultWatcher {
        /** The tag of the command that made the context (RFC 5267 4.2: unique among the contexts). */
        String tag();

        /**
         * The store has expunged these messages and EXPUNGE is about to be reported: they still have
         * their sequence numbers, for a REMOVEFROM sent before the EXPUNGEs (as Dovecot sends it).
         */
        void expunging(SelectedMailbox view, Set<Long> uids, ResponseWriter out) throws IOException;

        /**
         * After a sync's EXISTS: these messages (UIDs ascending, in the view) are new or have other
         * flags, so may have entered or left the result.
         */
        void changed(SelectedMailbox view, long[] uids, ResponseWriter out) throws IOException, StoreException;
    }

    /** Starts telling {@code w} of changes. */
    public void watch(ResultWatcher w) {
        watchers.add(w);
    }

    /** The context made by the command tagged {@code tag}, or null. */
    public ResultWatcher watcher(String tag) {
        for (ResultWatcher w : watchers) {
            if (w.tag().equals(tag)) {
                return w;
            }
        }
        return null;
    }

    /** Ends the context of that tag (CANCELUPDATE); false if there is none. */
    public boolean unwatch(String tag) {
        boolean removed = watchers.removeIf(w -> w.tag().equals(tag));
        if (watchers.isEmpty()) {
            touched.clear();
        }
        return removed;
    }

    /** How many contexts are open. */
    public int watching() {
        return watchers.size();
    }

    private void touch(long uid) {
        if (!watchers.isEmpty()) {
            touched.add(uid);
        }
    }

    /** Which flags PERMANENTFLAGS lists (the user's rights, as SELECT found them): all by default. */
    private java.util.function.Predicate<String> settable = f -> true;

    private SelectedMailbox(Mailbox box) {
        this.box = box;
    }

    /** Takes over an open store handle and reads its first view; reports nothing. */
    public static SelectedMailbox open(Mailbox box) throws StoreException {
        SelectedMailbox m = new SelectedMailbox(box);
        for (Change c : box.sync()) {
            if (c instanceof Change.Added a) {
                m.add(a.message());
            }
        }
        m.reportedExists = m.count;
        m.reportedRecent = m.recentCount;
        m.announced.addAll(box.keywords());
        for (int id = 0; id < m.flagSets.size(); id++) {
            m.announced.addAll(keywordsOf(m.flagSets.get(id)));
        }
        return m;
    }

    public Mailbox store() {
        return box;
    }

    public boolean readOnly() {
        return box.readOnly();
    }

    public int exists() {
        return count;
    }

    public int recentCount() {
        return recentCount;
    }

    public long uidAt(int seq) {
        if (seq < 1 || seq > count) {
            throw new IndexOutOfBoundsException("sequence number " + seq + " of " + count);
        }
        return uids[seq - 1];
    }

    /**
     * What the store said of the message (with the flags the client was last told of), built anew for
     * each call; null for a UID not in the view.
     */
    public MessageMeta meta(long uid) {
        int i = indexOf(uid);
        if (i < 0) {
            return null;
        }
        return new MessageMeta(uid, flagSets.get(flagIds[i] & ~RECENT_BIT), sizes[i], Instant.ofEpochMilli(dates[i]),
                (flagIds[i] & RECENT_BIT) != 0);
    }

    /**
     * {@link #meta} of the message at {@code seq} (1 to {@link #exists}), found by its slot rather
     * than by searching for its UID: for a command that goes through the messages by number.
     */
    public MessageMeta metaAt(int seq) {
        int i = seq - 1;
        return new MessageMeta(uids[i], flagSets.get(flagIds[i] & ~RECENT_BIT), sizes[i],
                Instant.ofEpochMilli(dates[i]), (flagIds[i] & RECENT_BIT) != 0);
    }

    /** {@link #isRecent} of the message at {@code seq} (1 to {@link #exists}). */
    public boolean recentAt(int seq) {
        return recentResponses && (flagIds[seq - 1] & RECENT_BIT) != 0;
    }

    /**
     * The message's flag list as FETCH FLAGS sends it, the bytes {@link #writeFlags} writes for its
     * flags and {@link #recentAt}: rendered once per distinct flag set of the view, not per message.
     */
    public byte[] flagListAt(int seq) {
        int id = flagIds[seq - 1];
        return flagSets.rendered(id & ~RECENT_BIT, recentResponses && (id & RECENT_BIT) != 0);
    }

    /** Whether the store has expunged any message the client still sees (see {@link #isExpunged}). */
    public boolean anyExpunged() {
        return !heldExpunges.isEmpty();
    }

    /** The flags the client was last told of for a UID in the view; null for one not in it. */
    public Set<String> flags(long uid) {
        int i = indexOf(uid);
        return i < 0 ? null : flagSets.get(flagIds[i] & ~RECENT_BIT);
    }

    /** Whether the message carries \Seen as far as the client was told; false for a UID not in the view. */
    public boolean isSeen(long uid) {
        int i = indexOf(uid);
        return i >= 0 && flagSets.seen(flagIds[i] & ~RECENT_BIT);
    }

    /** Whether the message carries \Deleted as far as the client was told; false for a UID not in the view. */
    public boolean isDeleted(long uid) {
        int i = indexOf(uid);
        return i >= 0 && flagSets.deleted(flagIds[i] & ~RECENT_BIT);
    }

    /** Whether the message is \Recent for this session, as far as the client is told of it. */
    public boolean isRecent(long uid) {
        if (!recentResponses) {
            return false;
        }
        int i = indexOf(uid);
        return i >= 0 && (flagIds[i] & RECENT_BIT) != 0;
    }

    /** The slot of a UID, or a negative number if it is not in the view. */
    private int indexOf(long uid) {
        return Arrays.binarySearch(uids, 0, count, uid);
    }

    /** CONDSTORE turned on for this session (RFC 7162 3.1). */
    public void condStore(boolean on) {
        condStore = on;
    }

    public boolean condStore() {
        return condStore;
    }

    /** QRESYNC turned on for this session (RFC 7162 3.2.3); implies CONDSTORE. */
    public void qresync(boolean on) {
        qresync = on;
        condStore |= on;
    }

    public boolean qresync() {
        return qresync;
    }

    /**
     * UIDONLY turned on for this session (RFC 9586): VANISHED instead of EXPUNGE, and UIDFETCH
     * (numbered by UID) instead of FETCH.
     */
    public void uidOnly(boolean on) {
        uidOnly = on;
    }

    public boolean uidOnly() {
        return uidOnly;
    }

    /** The number to pass FetchRenderer for the message at seq: FetchRenderer.UID_ONLY under UIDONLY. */
    public int at(int seq) {
        return uidOnly ? 0 : seq;
    }

    /** Starts an unsolicited or STORE FETCH response: {@code * seq FETCH (}, or {@code * uid UIDFETCH (} under UIDONLY. */
    public ResponseWriter fetchStart(ResponseWriter out, long uid) throws IOException {
        return uidOnly ? out.untagged().number(uid).raw(" UIDFETCH (")
                : out.untagged().number(seqOf(uid)).raw(" FETCH (");
    }

    /** HIGHESTMODSEQ of the store's view, or NOMODSEQ if the store keeps none (RFC 7162 3.1.2). */
    public long highestModSeq() {
        return box instanceof ModSeqMailbox m ? m.highestModSeq() : ModSeqMailbox.NOMODSEQ;
    }

    /**
     * A message's MODSEQ; for one the store's view no longer has (expunged meanwhile, its EXPUNGE held
     * back), the HIGHESTMODSEQ, which is at least what the client was told of it.
     */
    public long modSeq(long uid) {
        if (!(box instanceof ModSeqMailbox m)) {
            return 0;
        }
        long mod = m.modSeq(uid);
        return mod > 0 ? mod : m.highestModSeq();
    }

    /**
     * The data items a FETCH response the client did not ask for (or a STORE's) carries after FLAGS
     * once CONDSTORE or QRESYNC is on (RFC 7162 3.1.4.1, 3.2.4): UID (QRESYNC, unless {@code uidWritten}) and MODSEQ.
     */
    public void writeModSeqItems(ResponseWriter out, long uid, boolean uidWritten) throws IOException {
        if (qresync && !uidWritten && !uidOnly) {
            out.raw(" UID ").number(uid);
        }
        if (condStore) {
            out.raw(" MODSEQ (").number(modSeq(uid)).raw(")");
        }
    }

    /** Turns RECENT responses and the \Recent flag off for an IMAP4rev2 client (RFC 9051 has neither). */
    public void recentResponses(boolean on) {
        recentResponses = on;
    }

    /** Whether the store has expunged this message while the client still sees it. */
    public boolean isExpunged(long uid) {
        return !heldExpunges.isEmpty() && heldExpunges.contains(uid);
    }

    /** The sequence number of the first message without \Seen, or 0 if there is none. */
    public int firstUnseen() {
        for (int i = 0; i < count; i++) {
            if (!flagSets.seen(flagIds[i] & ~RECENT_BIT)) {
                return i + 1;
            }
        }
        return 0;
    }

    /** The sequence number of a UID in the view, or 0 if it is not there. */
    public int seqOf(long uid) {
        int i = indexOf(uid);
        return i >= 0 ? i + 1 : 0;
    }

    /** Replaces the saved search result "$" (RFC 5182) with these UIDs. */
    public void saveResult(Collection<Long> uids) {
        long[] s = new long[uids.size()];
        int n = 0;
        for (long u : uids) {
            s[n++] = u;
        }
        Arrays.sort(s);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
            if (distinct == 0 || s[distinct - 1] != s[i]) {
                s[distinct++] = s[i];
            }
        }
        saved = distinct == n ? s : Arrays.copyOf(s, distinct);
    }

    /** The saved search result "$" (RFC 5182), UIDs ascending. */
    public List<Long> savedResult() {
        List<Long> out = new ArrayList<>(saved.length);
        for (long u : saved) {
            out.add(u);
        }
        return out;
    }

    /** Whether the message is in the saved search result "$". */
    public boolean inSavedResult(long uid) {
        return Arrays.binarySearch(saved, uid) >= 0;
    }

    /**
     * The sequence numbers a set selects, ascending. "$" (RFC 5182) selects the messages of the
     * saved search result, by sequence number or UID alike; it is never an error, even when empty. For a UID set, '*' is the highest UID in the view
     * (RFC 3501 6.4.8: "*" for UIDs means the largest in use; a range beyond it still matches it), and
     * UIDs not in the view are passed over. For sequence numbers, a number beyond EXISTS is an error.
     */
    public List<Integer> select(SequenceSet set, boolean byUid) throws BadSequenceException {
        List<Integer> out = new ArrayList<>();
        if (set.isSaved()) {
            for (long u : saved) {
                int seq = seqOf(u);
                if (seq > 0) {
                    out.add(seq);
                }
            }
            return out;
        }
        if (count == 0) {
            if (!byUid) {
                throw new BadSequenceException("No messages in the mailbox");
            }
            return out;
        }
        if (byUid) {
            long max = uids[count - 1];
            for (int i = 0; i < count; i++) {
                if (set.contains(uids[i], max)) {
                    out.add(i + 1);
                }
            }
            return out;
        }
        long max = count;
        for (SequenceSet.Range r : set.ranges()) {
            long first = r.first() == Long.MAX_VALUE ? max : r.first();
            long last = r.last() == Long.MAX_VALUE ? max : r.last();
            if (Math.max(first, last) > max) {
                throw new BadSequenceException("Message sequence number " + Math.max(first, last)
                        + " is beyond the " + max + " messages in the mailbox");
            }
        }
        for (int seq = 1; seq <= max; seq++) {
            if (set.contains(seq, max)) {
                out.add(seq);
            }
        }
        return out;
    }

    /**
     * The UIDs a set selects, ascending, leaving out messages another session has expunged while
     * this one still sees them (they can be neither changed nor copied).
     */
    public List<Long> liveUids(SequenceSet set, boolean byUid) throws BadSequenceException {
        List<Long> out = new ArrayList<>();
        for (int seq : select(set, byUid)) {
            long u = uidAt(seq);
            if (!heldExpunges.contains(u)) {
                out.add(u);
            }
        }
        return out;
    }

    /** A sequence set that names messages beyond those that exist (RFC 3501 9: seq-number). */
    public static final class BadSequenceException extends Exception {
        private static final long serialVersionUID = 1L;

        BadSequenceException(String message) {
            super(message);
        }
    }

    /**
     * The selected mailbox cannot be served any more: the store's UIDVALIDITY changed under the
     * session, so every UID it holds is void (RFC 3501 2.3.1.1), or another session or process
     * deleted the mailbox (RFC 2180 3.3 lets the server end the session; Dovecot does). The session
     * ends with BYE and the message below; the client resynchronises on its next login.
     */
    public static final class UidValidityChangedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UidValidityChangedException(long uidValidity) {
            super("UIDVALIDITY changed to " + uidValidity + "; the mailbox must be resynchronised");
        }

        private UidValidityChangedException(String message) {
            super(message);
        }

        static UidValidityChangedException deleted() {
            return new UidValidityChangedException("Selected mailbox was deleted, have to disconnect");
        }
    }

    /**
     * Picks up changes from the store and reports them: EXPUNGE (only when {@code allowExpunge}),
     * FETCH FLAGS, EXISTS and RECENT.
     */
    public void sync(ResponseWriter out, boolean allowExpunge) throws StoreException, IOException {
        List<Change> changes;
        try {
            changes = box.sync();
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NONEXISTENT) {
                throw UidValidityChangedException.deleted();
            }
            throw e;
        }
        for (Change c : changes) {
            apply(c, out, allowExpunge);
        }
        if (allowExpunge && !heldExpunges.isEmpty()) {
            for (ResultWatcher w : List.copyOf(watchers)) {
                w.expunging(this, heldExpunges, out);
            }
        }
        if (allowExpunge) {
            flushExpunges(out);
        }
        reportCounts(out);
        if (!touched.isEmpty()) {
            long[] t = new long[touched.size()];
            int n = 0;
            for (long u : touched) {
                if (indexOf(u) >= 0) {
                    t[n++] = u;
                }
            }
            touched.clear();
            if (n > 0) {
                long[] changed = Arrays.copyOf(t, n);
                for (ResultWatcher w : List.copyOf(watchers)) {
                    w.changed(this, changed, out);
                }
            }
        }
    }

    /**
     * The untagged FLAGS and PERMANENTFLAGS responses (RFC 3501 7.2.6, 7.1): the system flags and the
     * keywords announced so far; a read-only mailbox permits none.
     */
    public void writeFlagResponses(ResponseWriter out) throws IOException {
        writeFlagResponses(out, settable);
    }

    /**
     * FLAGS and PERMANENTFLAGS, the latter with only the flags {@code settable} accepts ({@code \*}
     * for new keywords): the flags the user's rights let them change (RFC 4314 4).
     */
    public void writeFlagResponses(ResponseWriter out, java.util.function.Predicate<String> settable) throws IOException {
        this.settable = settable;
        Set<String> flags = new TreeSet<>(Flags.SYSTEM);
        flags.addAll(announced);
        out.untagged().raw("FLAGS ");
        writeFlags(out, flags, false);
        out.crlf();
        out.untagged().raw("OK [PERMANENTFLAGS ");
        if (box.readOnly()) {
            out.raw("()");
        } else {
            java.util.List<String> permitted = new java.util.ArrayList<>();
            for (String f : flags) {
                if (settable.test(f)) {
                    permitted.add(f);
                }
            }
            if (settable.test("\\*")) {
                permitted.add("\\*");
            }
            out.raw("(").raw(String.join(" ", permitted)).raw(")");
        }
        out.raw("] Flags permitted").crlf();
    }

    /**
     * Announces the keywords among {@code flags} the client has not been told of, with new FLAGS and
     * PERMANENTFLAGS responses; to be called before a FETCH that shows those flags.
     */
    public void announceKeywords(ResponseWriter out, Set<String> flags) throws IOException {
        if (!announced.containsAll(keywordsOf(flags))) {
            announced.addAll(keywordsOf(flags));
            writeFlagResponses(out);
        }
    }

    private static List<String> keywordsOf(Set<String> flags) {
        List<String> keywords = new ArrayList<>();
        for (String f : flags) {
            if (!f.startsWith("\\")) {
                keywords.add(f);
            }
        }
        return keywords;
    }

    /** Records flags the client has just been told of (by STORE's or FETCH's own response). */
    public void reported(long uid, Set<String> flags) {
        int i = indexOf(uid);
        if (i >= 0) {
            int id = flagSets.id(flags) | (flagIds[i] & RECENT_BIT);
            if (id != flagIds[i]) {
                touch(uid);
            }
            flagIds[i] = id;
        }
    }

    private void apply(Change change, ResponseWriter out, boolean allowExpunge) throws IOException {
        switch (change) {
            case Change.Added a -> add(a.message());
            case Change.Expunged e -> {
                if (indexOf(e.uid()) >= 0) {
                    heldExpunges.add(e.uid());
                }
            }
            case Change.UidValidityChanged v -> throw new UidValidityChangedException(v.uidValidity());
            case Change.FlagsChanged f -> {
                int i = indexOf(f.uid());
                if (i < 0 || flagSets.get(flagIds[i] & ~RECENT_BIT).equals(f.flags())) {
                    return;
                }
                flagIds[i] = flagSets.id(f.flags()) | (flagIds[i] & RECENT_BIT);
                touch(f.uid());
                if (out != null) {
                    announceKeywords(out, f.flags());
                    fetchStart(out, f.uid()).raw("FLAGS ");
                    writeFlags(out, f.flags(), isRecent(f.uid()));
                    writeModSeqItems(out, f.uid(), false);
                    out.raw(")").crlf();
                }
            }
        }
    }

    private void add(MessageMeta message) {
        long uid = message.uid();
        if (count > 0 && uids[count - 1] >= uid) {
            if (indexOf(uid) >= 0) {
                return;
            }
            throw new IllegalStateException("store reported UID " + uid + " out of order");
        }
        if (count == uids.length) {
            int n = Math.max(16, count + (count >> 1));
            uids = Arrays.copyOf(uids, n);
            flagIds = Arrays.copyOf(flagIds, n);
            sizes = Arrays.copyOf(sizes, n);
            dates = Arrays.copyOf(dates, n);
        }
        uids[count] = uid;
        flagIds[count] = flagSets.id(message.flags()) | (message.recent() ? RECENT_BIT : 0);
        sizes[count] = message.size();
        dates[count] = message.internalDate().toEpochMilli();
        count++;
        touch(uid);
        if (message.recent()) {
            recentCount++;
        }
    }

    /**
     * Reports and removes the held expunges in one pass over the arrays: each EXPUNGE carries the
     * message's number after the removals reported before it (RFC 3501 7.4.1).
     */
    private void flushExpunges(ResponseWriter out) throws IOException {
        if (heldExpunges.isEmpty()) {
            return;
        }
        int kept = 0;
        if (qresync || uidOnly) {
            // RFC 7162 3.2.10, RFC 9586 3.2: VANISHED instead of EXPUNGE, one response for all of them
            long[] gone = new long[heldExpunges.size()];
            int n = 0;
            for (long u : heldExpunges) {
                if (indexOf(u) >= 0) {
                    gone[n++] = u;
                }
            }
            if (n > 0) {
                out.untagged().raw("VANISHED ").raw(SequenceSet.ofNumbers(Arrays.copyOf(gone, n)).toString()).crlf();
            }
        }
        for (int i = 0; i < count; i++) {
            long uid = uids[i];
            if (heldExpunges.contains(uid)) {
                if (!qresync && !uidOnly) {
                    out.untagged().number(kept + 1).raw(" EXPUNGE").crlf();
                }
                reportedExists--;
                if ((flagIds[i] & RECENT_BIT) != 0) {
                    recentCount--;
                }
                continue;
            }
            uids[kept] = uid;
            flagIds[kept] = flagIds[i];
            sizes[kept] = sizes[i];
            dates[kept] = dates[i];
            kept++;
        }
        count = kept;
        if (saved.length > 0) {
            long[] s = new long[saved.length];
            int n = 0;
            for (long u : saved) {
                if (!heldExpunges.contains(u)) {
                    s[n++] = u;
                }
            }
            saved = Arrays.copyOf(s, n);
        }
        heldExpunges.clear();
        if (count < uids.length / 4 && uids.length > 64) {
            int n = Math.max(16, count + (count >> 1));
            uids = Arrays.copyOf(uids, n);
            flagIds = Arrays.copyOf(flagIds, n);
            sizes = Arrays.copyOf(sizes, n);
            dates = Arrays.copyOf(dates, n);
        }
    }

    private void reportCounts(ResponseWriter out) throws IOException {
        // RECENT goes with EXISTS as new messages arrive, and follows an EXPUNGE that took \Recent
        // messages away: RFC 3501 7.3.2 reports it whenever the mailbox's size changes, and
        // Dovecot does the same (found by the conformance harness). IMAP4rev2 has no RECENT at all.
        if (count != reportedExists) {
            reportedExists = count;
            out.untagged().number(reportedExists).raw(" EXISTS").crlf();
        }
        if (recentResponses && recentCount != reportedRecent) {
            out.untagged().number(recentCount).raw(" RECENT").crlf();
        }
        reportedRecent = recentCount;
    }

    /** Writes a flag list, adding \Recent where it applies. */
    public static void writeFlags(ResponseWriter out, Set<String> flags, boolean recent) throws IOException {
        // FETCH 1:* (FLAGS) on a big mailbox writes the same few flag sets over and over: render
        // each once. Bounded, since keywords make the number of sets open-ended.
        String text = RENDERED_FLAGS.get(flags);
        if (text == null) {
            text = String.join(" ", new TreeSet<>(flags));
            if (RENDERED_FLAGS.size() < 4096) {
                RENDERED_FLAGS.put(Set.copyOf(flags), text);
            }
        }
        out.open().raw(text);
        if (recent) {
            if (!text.isEmpty()) {
                out.sp();
            }
            out.raw(Flags.RECENT);
        }
        out.close();
    }

    private static final Map<Set<String>, String> RENDERED_FLAGS = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void close() {
        box.close();
    }
}
