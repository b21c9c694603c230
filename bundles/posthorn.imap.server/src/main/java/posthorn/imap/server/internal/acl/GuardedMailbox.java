package posthorn.imap.server.internal.acl;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;
import posthorn.store.api.Watch;

/**
 * A mailbox handle whose operations check the user's rights at the time of each call (RFC 4314 4),
 * or once for a command that {@link #holdRights holds} them; see {@link GuardedMail}. Reading (the first sync, a message's text) needs {@code r}; a flag change
 * {@code s}, {@code t} or {@code w} by flag, and a STORE that may change none of its flags is NO
 * [NOPERM] (one that may change some changes those, RFC 4314 4: "SHOULD NOT fail"); appending and
 * copying need {@code i} on the target and keep only the flags the user may set there; MOVE also
 * needs {@code t} and {@code e} here (RFC 6851 3.3); EXPUNGE needs {@code e}.
 */
public final class GuardedMailbox implements posthorn.store.api.ModSeqMailbox, posthorn.imap.server.internal.state.StoreParts.Wrapper {
    private final Mailbox box;
    private final GuardedMail mail;
    /** The mailbox's name in the session (in the shared namespace for another user's). */
    private final String shown;
    /** Where COPY and MOVE targets are, or null for the same user's mail only. */
    private final SharedMail router;

    GuardedMailbox(Mailbox box, GuardedMail mail, String shown, SharedMail router) {
        this.box = box;
        this.mail = mail;
        this.shown = shown;
        this.router = router;
    }

    // RFC 7162 MODSEQs pass through (reading them needs no right beyond the sync's r); NOMODSEQ where the
    // guarded store keeps none.

    @Override
    public long highestModSeq() {
        return box instanceof posthorn.store.api.ModSeqMailbox m ? m.highestModSeq() : NOMODSEQ;
    }

    @Override
    public long modSeq(long uid) {
        return box instanceof posthorn.store.api.ModSeqMailbox m ? m.modSeq(uid) : 0;
    }

    @Override
    public long[] expungedSince(long modSeq) throws StoreException {
        return box instanceof posthorn.store.api.ModSeqMailbox m ? m.expungedSince(modSeq) : null;
    }

    /** The user's rights on this mailbox now (or as read first while a command {@link #holdRights holds} them). */
    public String rights() throws StoreException {
        if (holds > 0) {
            String r = held;
            if (r == null) {
                r = mail.rights(box.name());
                held = r;
            }
            return r;
        }
        return mail.rights(box.name());
    }

    /** Nested {@link #holdRights} spans open now; the rights read first in them, or null. */
    private volatile int holds;
    private volatile String held;

    /**
     * Reads the rights at most once until the returned handle is closed: a command that opens every
     * message of a mailbox (FETCH 1:* (ENVELOPE)) checks {@code r} once, not once a message. Reading the
     * rights is reading the ACL files (two stats and the Courier ACL parsed, in the Maildir store), which
     * cost a cold FETCH ENVELOPE of 50,000 messages about a tenth of its CPU (issue 14). An ACL changed
     * by another session meanwhile counts from the next command on, as a change made during a
     * command's own work would. Opened and closed on the session thread; the command's read-ahead
     * threads read the rights it holds (hence the volatile fields).
     */
    public Held holdRights() {
        holds++;
        return new Held();
    }

    /**
     * {@link #holdRights} of a guarded mailbox for one command's reading (FETCH, SEARCH, SORT, THREAD:
     * {@code r} checked once, not once a message); null (nothing to close) for a store that is not guarded.
     */
    public static Held hold(posthorn.store.api.Mailbox store) {
        return store instanceof GuardedMailbox g ? g.holdRights() : null;
    }

    /** The span of a {@link #holdRights}; close it once. */
    public final class Held implements AutoCloseable {
        private boolean closed;

        private Held() {
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (--holds == 0) {
                    held = null;
                }
            }
        }
    }

    /**
     * The flags the user may set here now, as PERMANENTFLAGS lists them (RFC 4314 4): \Seen with
     * {@code s}, \Deleted with {@code t}, the others and new keywords with {@code w}.
     */
    public boolean mayChange(String flag) {
        return may(Rights.rightFor(flag));
    }

    /** Whether the user has the right now (false if the rights cannot be read). */
    public boolean may(char right) {
        try {
            return Rights.has(rights(), right);
        } catch (StoreException e) {
            return false;
        }
    }

    /**
     * The store's handle under the checks, for the optional per-message lookups (store.api 1.6.0:
     * EMAILID, SAVEDATE) of a mailbox the session has already opened with {@code r}.
     */
    @Override
    public Mailbox unguarded() {
        return box;
    }

    @Override
    public String name() {
        return shown;
    }

    @Override
    public boolean readOnly() {
        return box.readOnly();
    }

    @Override
    public long uidValidity() {
        return box.uidValidity();
    }

    @Override
    public long uidNext() {
        return box.uidNext();
    }

    @Override
    public Set<String> keywords() {
        return box.keywords();
    }

    /**
     * Needs {@code r} at every call, not only the first: once the owner revokes it (RFC 4314 4), the
     * session learns nothing more of the mailbox. With {@code l} left, NO [NOPERM] for every command
     * that reports the mailbox's changes (all do, NOOP included) until the client closes it; with
     * neither {@code l} nor {@code r}, NONEXISTENT, which the session treats as the mailbox's deletion
     * (BYE, RFC 2180 3.3), so that the answer is the same as if it were gone.
     */
    @Override
    public List<Change> sync() throws StoreException {
        Rights.require(rights(), "r", false, shown, "Reading");
        return box.sync();
    }

    @Override
    public List<MessageMeta> messages() {
        return box.messages();
    }

    /** Sizes the store had not measured: as much reading as messages() (the view is the caller's already). */
    @Override
    public Map<Long, Long> sizes(Collection<Long> uids) throws StoreException {
        return box.sizes(uids);
    }

    @Override
    public InputStream openMessage(long uid) throws StoreException, IOException {
        Rights.require(rights(), "r", false, shown, "Reading a message");
        return box.openMessage(uid);
    }

    @Override
    public Map<Long, Set<String>> store(Collection<Long> uids, FlagMode mode, Set<String> flags) throws StoreException {
        String r = rights();
        if (GuardedMail.allFlagRights(r)) {
            return box.store(uids, mode, flags);
        }
        List<String> allowed = Rights.allowed(flags, r);
        if (mode != FlagMode.REPLACE) {
            if (allowed.isEmpty()) {
                Rights.require(r, flagRights(flags), true, shown, "Changing these flags");
                return box.store(uids, mode, Set.of());
            }
            return box.store(uids, mode, new LinkedHashSet<>(allowed));
        }
        // Replacing: the flags the user may not change stay as they are on each message.
        Rights.require(r, "swt", true, shown, "Changing flags");
        Map<Long, MessageMeta> metas = new LinkedHashMap<>();
        for (MessageMeta m : box.messages()) {
            metas.put(m.uid(), m);
        }
        Map<Long, Set<String>> out = new LinkedHashMap<>();
        for (Long uid : uids) {
            MessageMeta m = metas.get(uid);
            if (m == null) {
                continue;
            }
            Set<String> target = new LinkedHashSet<>();
            for (String f : m.flags()) {
                if (!Rights.has(r, Rights.rightFor(f))) {
                    target.add(f);
                }
            }
            target.addAll(allowed);
            out.putAll(box.store(List.of(uid), FlagMode.REPLACE, target));
        }
        return out;
    }

    private static String flagRights(Set<String> flags) {
        StringBuilder b = new StringBuilder();
        for (String f : flags) {
            b.append(Rights.rightFor(f));
        }
        return b.isEmpty() ? "swt" : Rights.normal(b.toString());
    }

    @Override
    public long append(InputStream message, Set<String> flags, Instant internalDate) throws StoreException, IOException {
        String r = rights();
        Rights.require(r, "i", false, shown, "APPEND");
        return box.append(message, new LinkedHashSet<>(Rights.allowed(flags, r)), internalDate);
    }

    @Override
    public long append(MessageUpload message, Set<String> flags, Instant internalDate) throws StoreException, IOException {
        String r = rights();
        Rights.require(r, "i", false, shown, "APPEND");
        return box.append(message, new LinkedHashSet<>(Rights.allowed(flags, r)), internalDate);
    }

    @Override
    public Map<Long, Long> copy(Collection<Long> uids, String target) throws StoreException {
        SharedMail.Target t = where(target);
        String rights = targetRights(t);
        if (t.mail() != mail) {
            return copyAcross(uids, t, rights);
        }
        Map<Long, Long> map = box.copy(uids, t.name());
        dropForbiddenFlags(t.name(), rights, map.values());
        return map;
    }

    @Override
    public Map<Long, Long> move(Collection<Long> uids, String target) throws StoreException {
        Rights.require(rights(), "te", false, shown, "MOVE");
        SharedMail.Target t = where(target);
        String rights = targetRights(t);
        if (t.mail() != mail) {
            // Another user's mail: copied, then \Deleted and expunged here (RFC 6851 3.3 allows a
            // MOVE that is not atomic across stores; nothing is removed unless every copy succeeded).
            Map<Long, Long> map = copyAcross(uids, t, rights);
            if (!map.isEmpty()) {
                box.store(map.keySet(), FlagMode.ADD, Set.of(posthorn.store.api.Flags.DELETED));
                box.expunge(map.keySet());
            }
            return map;
        }
        Map<Long, Long> map = box.move(uids, t.name());
        dropForbiddenFlags(t.name(), rights, map.values());
        return map;
    }

    /** Whose mail a COPY or MOVE target is in; TRYCREATE where it names no mailbox. */
    private SharedMail.Target where(String target) throws StoreException {
        if (router == null) {
            return new SharedMail.Target(mail, null, target);
        }
        try {
            return router.resolve(target);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NONEXISTENT) {
                throw new StoreException(StoreException.Reason.TRYCREATE, "No mailbox " + target);
            }
            throw e;
        }
    }

    /** The user's rights on a COPY or MOVE target, which must allow {@code i}; TRYCREATE if it is missing. */
    private static String targetRights(SharedMail.Target target) throws StoreException {
        try {
            String t = target.mail().rights(target.name());
            Rights.require(t, "i", false, target.name(), "COPY");
            return t;
        } catch (StoreException e) {
            // One the user may not see answers as one that is not there (RFC 4314 6).
            if (e.reason() == StoreException.Reason.NONEXISTENT) {
                throw new StoreException(StoreException.Reason.TRYCREATE, "No mailbox " + target.name());
            }
            throw e;
        }
    }

    /**
     * COPY into another user's mail (a shared mailbox, or from one into the user's own): each message
     * read here and appended there with its flags (those the user may set there) and internal date.
     * A failure part way removes what was appended, so that the COPY adds all or nothing.
     */
    private Map<Long, Long> copyAcross(Collection<Long> uids, SharedMail.Target target, String rights)
            throws StoreException {
        Rights.require(rights(), "r", false, shown, "COPY");
        Map<Long, MessageMeta> metas = new LinkedHashMap<>();
        for (MessageMeta m : box.messages()) {
            metas.put(m.uid(), m);
        }
        Map<Long, Long> out = new LinkedHashMap<>();
        try (Mailbox into = target.mail().unguarded().open(target.name(), false)) {
            try {
                for (Long uid : uids) {
                    MessageMeta m = metas.get(uid);
                    if (m == null) {
                        continue;
                    }
                    Set<String> flags = new LinkedHashSet<>(Rights.allowed(m.flags(), rights));
                    try (InputStream in = box.openMessage(uid)) {
                        out.put(uid, into.append(in, flags, m.internalDate()));
                    } catch (StoreException e) {
                        if (e.reason() != StoreException.Reason.NONEXISTENT) {
                            throw e;
                        }
                        // expunged meanwhile: RFC 2180 4.4.1 lets the copy go on without it
                    }
                }
            } catch (StoreException | IOException | RuntimeException e) {
                undo(into, out.values());
                if (e instanceof StoreException s) {
                    throw s;
                }
                throw new StoreException(StoreException.Reason.SERVERBUG, "COPY failed: " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static void undo(Mailbox into, Collection<Long> appended) {
        if (appended.isEmpty()) {
            return;
        }
        try {
            into.store(appended, FlagMode.ADD, Set.of(posthorn.store.api.Flags.DELETED));
            into.expunge(appended);
        } catch (StoreException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(GuardedMailbox.class).warn(
                    "event=copy.undo.failed mailbox={} uids={} reason={}", into.name(), appended, e.toString());
        }
    }

    /** RFC 4314 4: a copied message keeps only the flags the user may set in the target. */
    private void dropForbiddenFlags(String target, String rights, Collection<Long> newUids) throws StoreException {
        if (GuardedMail.allFlagRights(rights) || newUids.isEmpty()) {
            return;
        }
        try (Mailbox t = mail.store().open(target, false)) {
            t.sync();
            Set<Long> wanted = new HashSet<>(newUids);
            for (MessageMeta m : t.messages()) {
                if (!wanted.contains(m.uid())) {
                    continue;
                }
                List<String> drop = new ArrayList<>();
                for (String f : m.flags()) {
                    if (!Rights.has(rights, Rights.rightFor(f))) {
                        drop.add(f);
                    }
                }
                if (!drop.isEmpty()) {
                    t.store(List.of(m.uid()), FlagMode.REMOVE, new LinkedHashSet<>(drop));
                }
            }
        }
    }

    @Override
    public List<Long> expunge(Collection<Long> uids) throws StoreException {
        Rights.require(rights(), "e", false, shown, "EXPUNGE");
        return box.expunge(uids);
    }

    @Override
    public Watch watch(Runnable listener) {
        return box.watch(listener);
    }

    @Override
    public byte[] cached(long uid, String field) {
        return box.cached(uid, field);
    }

    @Override
    public void cachedValues(long[] uids, int count, String field, byte[][] out) {
        box.cachedValues(uids, count, field, out);
    }

    @Override
    public void cache(long uid, String field, byte[] value) {
        box.cache(uid, field, value);
    }

    @Override
    public void close() {
        box.close();
    }
}
