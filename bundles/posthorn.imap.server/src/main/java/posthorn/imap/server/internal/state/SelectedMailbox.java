package posthorn.imap.server.internal.state;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
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
 * <p>Owned by one session; not thread-safe.
 */
public final class SelectedMailbox implements AutoCloseable {

    private final Mailbox box;
    /** Sequence number - 1 -> UID, ascending. Includes messages whose expunge is held back. */
    private final List<Long> uids = new ArrayList<>();
    private final Map<Long, MessageMeta> messages = new HashMap<>();
    private final Set<Long> recent = new HashSet<>();
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
    private final Set<Long> saved = new TreeSet<>();
    /**
     * The keywords the client has been told of in FLAGS and PERMANENTFLAGS: a message's keyword
     * outside them is announced again before a FETCH shows it (RFC 3501 7.2.6).
     */
    private final Set<String> announced = new TreeSet<>();

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
        m.reportedExists = m.uids.size();
        m.reportedRecent = m.recent.size();
        m.announced.addAll(box.keywords());
        for (MessageMeta meta : m.messages.values()) {
            m.announced.addAll(keywordsOf(meta.flags()));
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
        return uids.size();
    }

    public int recentCount() {
        return recent.size();
    }

    public long uidAt(int seq) {
        return uids.get(seq - 1);
    }

    public MessageMeta meta(long uid) {
        return messages.get(uid);
    }

    /** Whether the message is \Recent for this session, as far as the client is told of it. */
    public boolean isRecent(long uid) {
        return recentResponses && recent.contains(uid);
    }

    /** Turns RECENT responses and the \Recent flag off for an IMAP4rev2 client (RFC 9051 has neither). */
    public void recentResponses(boolean on) {
        recentResponses = on;
    }

    /** Whether the store has expunged this message while the client still sees it. */
    public boolean isExpunged(long uid) {
        return heldExpunges.contains(uid);
    }

    /** The sequence number of the first message without \Seen, or 0 if there is none. */
    public int firstUnseen() {
        for (int i = 0; i < uids.size(); i++) {
            if (!messages.get(uids.get(i)).flags().contains(Flags.SEEN)) {
                return i + 1;
            }
        }
        return 0;
    }

    /** The sequence number of a UID in the view, or 0 if it is not there. */
    public int seqOf(long uid) {
        int i = Collections.binarySearch(uids, uid);
        return i >= 0 ? i + 1 : 0;
    }

    /** Replaces the saved search result "$" (RFC 5182) with these UIDs. */
    public void saveResult(Collection<Long> uids) {
        saved.clear();
        saved.addAll(uids);
    }

    /** The saved search result "$" (RFC 5182), UIDs ascending. */
    public List<Long> savedResult() {
        return List.copyOf(saved);
    }

    /** Whether the message is in the saved search result "$". */
    public boolean inSavedResult(long uid) {
        return saved.contains(uid);
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
        if (uids.isEmpty()) {
            if (!byUid) {
                throw new BadSequenceException("No messages in the mailbox");
            }
            return out;
        }
        if (byUid) {
            long max = uids.get(uids.size() - 1);
            for (int i = 0; i < uids.size(); i++) {
                if (set.contains(uids.get(i), max)) {
                    out.add(i + 1);
                }
            }
            return out;
        }
        long max = uids.size();
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
        if (allowExpunge) {
            flushExpunges(out);
        }
        reportCounts(out);
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
        MessageMeta m = messages.get(uid);
        if (m != null) {
            messages.put(uid, m.withFlags(flags));
        }
    }

    private void apply(Change change, ResponseWriter out, boolean allowExpunge) throws IOException {
        switch (change) {
            case Change.Added a -> add(a.message());
            case Change.Expunged e -> {
                if (messages.containsKey(e.uid())) {
                    heldExpunges.add(e.uid());
                }
            }
            case Change.UidValidityChanged v -> throw new UidValidityChangedException(v.uidValidity());
            case Change.FlagsChanged f -> {
                MessageMeta m = messages.get(f.uid());
                if (m == null || m.flags().equals(f.flags())) {
                    return;
                }
                messages.put(f.uid(), m.withFlags(f.flags()));
                if (out != null) {
                    announceKeywords(out, f.flags());
                    out.untagged().number(seqOf(f.uid())).raw(" FETCH (FLAGS ");
                    writeFlags(out, f.flags(), isRecent(f.uid()));
                    out.raw(")").crlf();
                }
            }
        }
    }

    private void add(MessageMeta message) {
        long uid = message.uid();
        if (messages.containsKey(uid)) {
            return;
        }
        if (!uids.isEmpty() && uids.get(uids.size() - 1) > uid) {
            throw new IllegalStateException("store reported UID " + uid + " out of order");
        }
        uids.add(uid);
        messages.put(uid, message);
        if (message.recent()) {
            recent.add(uid);
        }
    }

    private void flushExpunges(ResponseWriter out) throws IOException {
        for (long uid : heldExpunges) {
            int seq = seqOf(uid);
            if (seq == 0) {
                continue;
            }
            uids.remove(seq - 1);
            messages.remove(uid);
            recent.remove(uid);
            saved.remove(uid);
            out.untagged().number(seq).raw(" EXPUNGE").crlf();
            reportedExists--;
        }
        heldExpunges.clear();
    }

    private void reportCounts(ResponseWriter out) throws IOException {
        // RECENT goes with EXISTS as new messages arrive, and follows an EXPUNGE that took \Recent
        // messages away: RFC 3501 7.3.2 reports it whenever the mailbox's size changes, and
        // Dovecot does the same (found by the conformance harness). IMAP4rev2 has no RECENT at all.
        if (uids.size() != reportedExists) {
            reportedExists = uids.size();
            out.untagged().number(reportedExists).raw(" EXISTS").crlf();
        }
        if (recentResponses && recent.size() != reportedRecent) {
            out.untagged().number(recent.size()).raw(" RECENT").crlf();
        }
        reportedRecent = recent.size();
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
