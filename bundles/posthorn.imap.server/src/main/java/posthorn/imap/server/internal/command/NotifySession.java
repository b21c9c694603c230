package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import posthorn.imap.protocol.FetchAttribute;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.acl.GuardedMail;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.imap.server.internal.command.NotifySpec.Event;
import posthorn.imap.server.internal.command.NotifySpec.Filter;
import posthorn.imap.server.internal.command.NotifySpec.Group;
import posthorn.imap.server.internal.fetch.FetchRenderer;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.mime.TransferDecoding;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.MailListener;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.MailboxStatus;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;
import posthorn.store.api.Watch;
import posthorn.store.api.WatchMail;

/**
 * One session's NOTIFY SET (RFC 5465) in force: which mailboxes it watches for which events, what the
 * client was last told of them, and the notices the store has given since. The store's watch
 * ({@link WatchMail#watchMail}, and {@link posthorn.store.api.Mailbox#watch} for the selected mailbox)
 * only marks what may have changed and asks the session to deliver ({@code wake}); the session then
 * calls {@link #deliver} under its write lock, on its own terms (between commands, in IDLE, after a
 * command), so that notices that come in a burst are coalesced into one round of responses.
 *
 * <p>Bounded per session: at most {@code maxMailboxes} mailboxes watched for message events; NOTIFY
 * SET beyond it is refused (NO [NOTIFICATIONOVERFLOW], 3.1), and growing beyond it later (mailboxes
 * created under a PERSONAL or SUBTREE filter) ends the notifications with an untagged
 * OK [NOTIFICATIONOVERFLOW] (5.8).
 *
 * <p>Threading: the {@link MailListener} methods run on store threads and only record; everything
 * else runs on a thread that holds the session's write lock.
 */
public final class NotifySession implements MailListener {

    /** NOTIFY SET names more mailboxes than notify.max.mailboxes allows. */
    static final class Overflow extends Exception {
        private static final long serialVersionUID = 1L;

        Overflow(int count, int max) {
            super(count + " mailboxes to watch, more than " + max + " (notify.max.mailboxes)");
        }
    }

    /** Syncs the selected mailbox as the session does (timed, for metrics), writing its responses. */
    @FunctionalInterface
    public interface SelectedSync {
        void sync(SessionState.Selected state, boolean allowExpunge) throws IOException, StoreException;
    }

    /** HIGHESTMODSEQ of a mailbox not selected (RFC 7162 3.1.6; 0 where the store keeps none). */
    @FunctionalInterface
    public interface HighestModSeq {
        long of(String mailbox) throws StoreException;
    }

    /**
     * What the client was last told of a mailbox that is not selected (for STATUS, 5.1 to 5.3);
     * {@code highestModSeq} -1 while it was not told one (CONDSTORE off, or no FlagChange asked).
     */
    private record Known(long messages, long uidNext, long uidValidity, long unseen, long highestModSeq) {
        static Known of(MailboxStatus s) {
            return new Known(s.messages(), s.uidNext(), s.uidValidity(), s.unseen(), -1);
        }

        Known withHighestModSeq(long h) {
            return new Known(messages, uidNext, uidValidity, unseen, h);
        }

        /** What STATUS after a message event tells (5.2, 5.3): the count, the next UID, UIDVALIDITY. */
        boolean sameCounts(Known o) {
            return o != null && messages == o.messages && uidNext == o.uidNext && uidValidity == o.uidValidity;
        }
    }

    private final NotifySpec spec;
    private final ClientNames names;
    /** The user's own mail, as the client may see it (ACL checks included). */
    private final UserMail mail;
    private final WatchMail watchable;
    private final int maxMailboxes;
    private final MimeLimits mimeLimits;
    private final Runnable wake;
    /** The SELECTED or SELECTED-DELAYED group, or null (the same as SELECTED NONE, 3.1). */
    private final Group selectedGroup;
    /** Store names the MAILBOXES and SUBTREE groups give, per group (index in spec.groups()). */
    private final Map<Group, List<String>> named = new HashMap<>();

    // --- session thread (under the write lock) ---
    private Map<String, Set<String>> existing = new LinkedHashMap<>();
    private Set<String> subscribed = new TreeSet<>();
    /** Mailbox (store name) -> the message events it is watched for; what the store watch covers. */
    private Map<String, Set<Event>> watched = new LinkedHashMap<>();
    private final Map<String, Known> known = new HashMap<>();
    private Watch mailWatch;
    private Watch selectedWatch;
    /** Whether the session has CONDSTORE on now (ENABLE, or a CONDSTORE enabling command: RFC 7162 3.1). */
    private BooleanSupplier condStore = () -> false;
    private HighestModSeq highestModSeq = name -> 0;
    /** The METADATA events' source and the user whose entries they are; null without those events. */
    private MetadataNotices metadataNotices;
    private String metadataUser;
    private Watch metadataWatch;
    private SelectedMailbox selectedWatched;
    private boolean ended;

    // --- written by store threads ---
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean hierarchyDirty = new AtomicBoolean();
    private final AtomicBoolean subscriptionsDirty = new AtomicBoolean();
    private final AtomicBoolean selectedDirty = new AtomicBoolean();
    private final ArrayDeque<Rename> renames = new ArrayDeque<>();
    /**
     * METADATA entries changed since the last round, per mailbox (store name; "" for the server), in
     * the order told, coalesced by name. Guarded by itself. Bounded: a session that falls behind by more
     * than {@link #MAX_PENDING_METADATA} names (its client reads nothing while another session sets
     * entry after entry) has its notifications ended with NOTIFICATIONOVERFLOW (RFC 5465 5.8).
     */
    private final Map<String, Set<String>> metadataChanged = new LinkedHashMap<>();
    private int metadataPending;
    private boolean metadataOverflow;
    static final int MAX_PENDING_METADATA = 10_000;

    /** A rename told by the store; {@code deferred} once it has been held back for a later listing. */
    private record Rename(String from, String to, boolean deferred) {
    }

    NotifySession(NotifySpec spec, ClientNames names, UserMail mail, WatchMail watchable, int maxMailboxes,
                  MimeLimits mimeLimits, Runnable wake) {
        this.spec = spec;
        this.names = names;
        this.mail = mail;
        this.watchable = watchable;
        this.maxMailboxes = maxMailboxes;
        this.mimeLimits = mimeLimits;
        this.wake = wake;
        this.selectedGroup = spec.groups().stream().filter(Group::selected).findFirst().orElse(null);
        for (Group g : spec.groups()) {
            List<String> stored = new ArrayList<>();
            for (String wire : g.mailboxes()) {
                try {
                    stored.add(names.decode(wire));
                } catch (StoreException e) {
                    // a name outside the namespace names no mailbox of the user: nothing to watch
                }
            }
            named.put(g, stored);
        }
    }

    /**
     * FlagChange in mailboxes not selected (RFC 5465 5.1): while {@code on} answers true, a flag change
     * is told by a STATUS with HIGHESTMODSEQ, which {@code highest} reads. Call before {@link #start}.
     */
    void condStore(BooleanSupplier on, HighestModSeq highest) {
        this.condStore = on;
        this.highestModSeq = highest;
    }

    /**
     * MailboxMetadataChange and ServerMetadataChange (RFC 5465 5.6, 5.7): {@link #start} listens to
     * {@code notices} for the changes of {@code user}'s entries. Call before {@link #start}, and only
     * where METADATA is announced.
     */
    void metadata(MetadataNotices notices, String user) {
        this.metadataNotices = notices;
        this.metadataUser = user;
    }

    /**
     * The user's own mail (not the shared namespace, not another user's) and the store's watching
     * part of it; null when the bound store has no {@link WatchMail}.
     */
    static UserMail own(UserMail mail) {
        return mail instanceof SharedMail s ? s.own() : mail;
    }

    static WatchMail watchable(UserMail mail) {
        UserMail m = own(mail);
        UserMail inner = m instanceof GuardedMail g ? g.unguarded() : m;
        return inner instanceof WatchMail w ? w : null;
    }

    /**
     * Starts: reads what exists and is subscribed, resolves the filters, takes the starting STATUS of
     * every watched mailbox (written before the tagged OK with the STATUS indicator, 3.1), and starts
     * the store's watches.
     *
     * @throws Overflow beyond notify.max.mailboxes (nothing is watched then)
     */
    void start(ResponseWriter out, SessionState.LoggedIn state) throws IOException, StoreException, Overflow {
        readHierarchy();
        readSubscriptions();
        Map<String, Set<Event>> w = resolve();
        if (w.size() > maxMailboxes) {
            throw new Overflow(w.size(), maxMailboxes);
        }
        String selected = selectedName(state);
        for (Map.Entry<String, Set<Event>> e : w.entrySet()) {
            String name = e.getKey();
            Known k = knownNow(name, e.getValue());
            if (k == null) {
                continue;
            }
            known.put(name, k); // what later STATUS responses are told against
            if (spec.status() && !name.equals(selected)) {
                // 3.1: at least MESSAGES, UIDNEXT and UIDVALIDITY; UNSEEN too, and HIGHESTMODSEQ where
                // FlagChange is told by it (5.1), as Dovecot sends them
                out.untagged().raw("STATUS ").astring(names.encode(name)).raw(" (MESSAGES ").number(k.messages())
                        .raw(" UIDNEXT ").number(k.uidNext()).raw(" UIDVALIDITY ").number(k.uidValidity())
                        .raw(" UNSEEN ").number(k.unseen());
                if (k.highestModSeq() >= 0) {
                    out.raw(" HIGHESTMODSEQ ").number(k.highestModSeq());
                }
                out.raw(")").crlf();
            }
        }
        watched = w;
        mailWatch = watchable.watchMail(Set.copyOf(w.keySet()), this);
        if (metadataNotices != null) {
            metadataWatch = metadataNotices.listen(metadataUser, this::metadataChanged);
        }
        selectionChanged(state);
    }

    /** The session selected or left a mailbox: the selected mailbox's watch follows. */
    public void selectionChanged(SessionState state) {
        SelectedMailbox now = state instanceof SessionState.Selected s ? s.mailbox() : null;
        if (now == selectedWatched) {
            return;
        }
        if (selectedWatch != null) {
            selectedWatch.close();
            selectedWatch = null;
        }
        selectedWatched = now;
        if (now != null && selectedGroup != null && !selectedGroup.events().isEmpty() && !ended) {
            selectedWatch = now.store().watch(() -> {
                selectedDirty.set(true);
                wake.run();
            });
        }
    }

    /** Whether notices are waiting for {@link #deliver}. */
    public boolean pending() {
        return selectedDirty.get() || hierarchyDirty.get() || subscriptionsDirty.get() || !dirty.isEmpty()
                || hasRenames() || hasMetadata();
    }

    private boolean hasMetadata() {
        synchronized (metadataChanged) {
            return metadataOverflow || !metadataChanged.isEmpty();
        }
    }

    private boolean hasRenames() {
        synchronized (renames) {
            return !renames.isEmpty();
        }
    }

    /**
     * Writes what changed since the last round, per the events asked for. Runs under the session's
     * write lock, between commands or in IDLE, or after a command.
     *
     * @param inCommand a command that allows EXPUNGE responses is running (IDLE): SELECTED-DELAYED's
     *                  expunges may go out now (RFC 5465 6.1.2)
     * @return false when NOTIFY ended (overflow, 5.8): the session drops this object
     */
    public boolean deliver(ResponseWriter out, SessionState state, boolean inCommand, SelectedSync sync)
            throws IOException, StoreException {
        if (ended) {
            return false;
        }
        if (state instanceof SessionState.Selected s && selectedDirty.getAndSet(false) && selectedGroup != null
                && !selectedGroup.events().isEmpty()) {
            deliverSelected(out, s, inCommand, sync);
        }
        String selected = selectedName(state);
        boolean rewatch = false;
        Rename rename;
        while ((rename = pollRename()) != null) {
            writeRename(out, rename.from(), rename.to());
            rewatch = true;
        }
        if (hierarchyDirty.getAndSet(false)) {
            Map<String, Set<String>> now = listHierarchy();
            // Renames told while listing. The store lists no rename before telling it, so one the listing
            // shows is told here as a rename, not found below as a deletion and a creation. One told
            // after the listing (it still shows the old name only) waits for the next listing, and so
            // do those after it, in order; once, so a name renamed back and forth cannot hold them.
            List<Rename> later = new ArrayList<>();
            while ((rename = pollRename()) != null) {
                if (later.isEmpty() && (rename.deferred() || !now.containsKey(rename.from()) || now.containsKey(rename.to()))) {
                    writeRename(out, rename.from(), rename.to());
                } else {
                    later.add(new Rename(rename.from(), rename.to(), true));
                }
            }
            if (!later.isEmpty()) {
                synchronized (renames) {
                    for (int i = later.size() - 1; i >= 0; i--) {
                        renames.addFirst(later.get(i));
                    }
                }
                hierarchyDirty.set(true);
            }
            Map<String, Set<String>> before = existing;
            existing = now;
            for (String gone : before.keySet()) {
                if (!existing.containsKey(gone) && wantsMailboxName(gone)) {
                    writeList(out, gone, Set.of("\\NonExistent"), null);
                }
            }
            for (Map.Entry<String, Set<String>> e : existing.entrySet()) {
                if (!before.containsKey(e.getKey()) && wantsMailboxName(e.getKey())) {
                    writeList(out, e.getKey(), attributes(e.getKey()), null);
                }
            }
            rewatch = true;
        }
        if (subscriptionsDirty.getAndSet(false)) {
            Set<String> before = subscribed;
            readSubscriptions();
            Set<String> changed = new TreeSet<>();
            for (String s : before) {
                if (!subscribed.contains(s)) {
                    changed.add(s);
                }
            }
            for (String s : subscribed) {
                if (!before.contains(s)) {
                    changed.add(s);
                }
            }
            for (String name : changed) {
                if (wantsSubscriptionChange(name)) {
                    writeList(out, name, attributes(name), null);
                }
            }
            rewatch |= !changed.isEmpty();
        }
        if (rewatch && !rewatch(out)) {
            return false;
        }
        synchronized (metadataChanged) {
            if (metadataOverflow) {
                out.untagged().raw("OK [NOTIFICATIONOVERFLOW] Too many METADATA changes; notifications are off").crlf();
                close();
                return false;
            }
        }
        if (!dirty.isEmpty()) {
            List<String> names = new ArrayList<>(dirty);
            dirty.removeAll(names);
            for (String name : names) {
                Set<Event> events = watched.get(name);
                if (events == null || name.equals(selected)) {
                    continue; // the selected mailbox is reported as such, never by STATUS
                }
                writeStatusChange(out, name, events);
            }
        }
        deliverMetadata(out);
        return true;
    }

    /**
     * The METADATA entries changed since the last round (RFC 5465 5.6, 5.7): an unsolicited METADATA
     * response with the entry names only (RFC 5464 4.4.2), per mailbox whose group asks for
     * MailboxMetadataChange, and for the server ({@code ""}) where any group asks for
     * ServerMetadataChange. The client reads the values with GETMETADATA if it wants them.
     */
    private void deliverMetadata(ResponseWriter out) throws IOException {
        Map<String, Set<String>> changed;
        synchronized (metadataChanged) {
            if (metadataChanged.isEmpty()) {
                return;
            }
            changed = new LinkedHashMap<>(metadataChanged);
            metadataChanged.clear();
            metadataPending = 0;
        }
        for (Map.Entry<String, Set<String>> e : changed.entrySet()) {
            String box = e.getKey();
            boolean server = box.isEmpty();
            if (server ? !wantsAnywhere(Event.SERVER_METADATA_CHANGE)
                    : !existing.containsKey(box) || !wants(Event.MAILBOX_METADATA_CHANGE, box)) {
                continue;
            }
            out.untagged().raw("METADATA ");
            if (server) {
                out.string("");
            } else {
                out.astring(names.encode(box));
            }
            for (String entry : e.getValue()) {
                out.sp().astring(entry);
            }
            out.crlf();
        }
    }

    private Rename pollRename() {
        synchronized (renames) {
            return renames.poll();
        }
    }

    /**
     * The selected mailbox: EXPUNGE, FETCH FLAGS, EXISTS as a sync writes them (EXPUNGE held back with
     * SELECTED-DELAYED until a command allows it), then a FETCH with MessageNew's attributes for each
     * new message (5.2).
     */
    private void deliverSelected(ResponseWriter out, SessionState.Selected s, boolean inCommand, SelectedSync sync)
            throws IOException, StoreException {
        SelectedMailbox view = s.mailbox();
        boolean allowExpunge = inCommand || selectedGroup.filter() == Filter.SELECTED;
        long lastUid = view.exists() > 0 ? view.uidAt(view.exists()) : 0;
        sync.sync(s, allowExpunge);
        List<FetchAttribute> fetch = selectedGroup.fetch();
        if (fetch.isEmpty() || !selectedGroup.events().contains(Event.MESSAGE_NEW)) {
            return;
        }
        MimeCuts cuts = new MimeCuts(mimeLimits);
        int first = view.exists() + 1;
        while (first > 1 && view.uidAt(first - 1) > lastUid) {
            first--;
        }
        for (int n = first; n <= view.exists(); n++) {
            long uid = view.uidAt(n);
            MessageMeta meta = view.meta(uid);
            if (meta == null || view.isExpunged(uid)) {
                continue;
            }
            try {
                FetchRenderer.write(out, view.store(), view.at(n), meta, view.isRecent(uid), fetch, cuts);
            } catch (TransferDecoding.UnknownCteException e) {
                // BINARY of an encoding the server cannot undo: that message's FETCH is left out
            }
        }
    }

    /**
     * A mailbox not selected whose messages may have changed: STATUS (UIDNEXT MESSAGES) when messages
     * came or went (5.2, 5.3), with UIDVALIDITY when that changed (5.1); with FlagChange asked, UNSEEN
     * and (CONDSTORE on) HIGHESTMODSEQ too, so that the one response tells all that changed.
     */
    private void writeStatusChange(ResponseWriter out, String name, Set<Event> events) throws IOException {
        Known before = known.get(name);
        Known now;
        try {
            now = knownNow(name, events);
        } catch (StoreException e) {
            return; // gone meanwhile: MailboxName tells of that
        }
        if (now == null) {
            return;
        }
        known.put(name, now);
        boolean flags = events.contains(Event.FLAG_CHANGE);
        if (now.sameCounts(before)) {
            if (flags) {
                flagChangeStatus(out, name, before, now);
            }
            return;
        }
        boolean validity = before != null && before.uidValidity() != now.uidValidity();
        if (!validity && !events.contains(Event.MESSAGE_NEW) && !events.contains(Event.MESSAGE_EXPUNGE)) {
            return;
        }
        out.untagged().raw("STATUS ").astring(names.encode(name)).raw(" (");
        if (validity) {
            out.raw("UIDVALIDITY ").number(now.uidValidity()).sp();
        }
        out.raw("UIDNEXT ").number(now.uidNext()).raw(" MESSAGES ").number(now.messages());
        if (flags) {
            out.raw(" UNSEEN ").number(now.unseen());
            if (now.highestModSeq() >= 0) {
                out.raw(" HIGHESTMODSEQ ").number(now.highestModSeq());
            }
        }
        out.raw(")").crlf();
    }

    /**
     * FlagChange in a mailbox that is not selected, its messages the same (RFC 5465 5.1): with CONDSTORE
     * on, a STATUS with UIDVALIDITY and HIGHESTMODSEQ when that moved, and UNSEEN when the number of
     * unseen messages changed; without CONDSTORE, a STATUS with UIDVALIDITY and UNSEEN when that number
     * changed, and nothing for another flag (5.1: "If CONDSTORE/QRESYNC is not enabled by the client
     * and the server chooses not to include the UNSEEN data item, the server does not notify").
     */
    private void flagChangeStatus(ResponseWriter out, String name, Known before, Known now) throws IOException {
        boolean unseen = before == null || before.unseen() != now.unseen();
        boolean modSeq = now.highestModSeq() >= 0 && (before == null || before.highestModSeq() != now.highestModSeq());
        // CONDSTORE on: HIGHESTMODSEQ moves with every flag change (RFC 7162 3.1.3), \Seen's included; a
        // mailbox without MODSEQs (NOMODSEQ, 0) falls back on UNSEEN as without CONDSTORE
        boolean tell = now.highestModSeq() > 0 ? modSeq : unseen;
        if (!tell) {
            return;
        }
        out.untagged().raw("STATUS ").astring(names.encode(name)).raw(" (UIDVALIDITY ").number(now.uidValidity());
        if (modSeq) {
            out.raw(" HIGHESTMODSEQ ").number(now.highestModSeq());
        }
        if (unseen) {
            out.raw(" UNSEEN ").number(now.unseen());
        }
        out.raw(")").crlf();
    }

    /**
     * What STATUS would report of a mailbox now; with HIGHESTMODSEQ where FlagChange is asked and
     * CONDSTORE is on. Null if it is gone or the client may not read it.
     */
    private Known knownNow(String name, Set<Event> events) throws StoreException {
        try {
            Known k = Known.of(mail.status(name));
            if (events.contains(Event.FLAG_CHANGE) && condStore.getAsBoolean()) {
                k = k.withHighestModSeq(highestModSeq.of(name));
            }
            return k;
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NONEXISTENT || e.reason() == StoreException.Reason.NOPERM) {
                return null; // RFC 5465 3.1: a mailbox the client may not read is ignored
            }
            throw e;
        }
    }

    /**
     * After the hierarchy or subscriptions changed: the filters are resolved again (PERSONAL and
     * SUBTREE take in new mailboxes, SUBSCRIBED follows the subscriptions: 6.4), and the store watch
     * is renewed if the set changed. Beyond the limit the notifications end (5.8).
     */
    private boolean rewatch(ResponseWriter out) throws IOException, StoreException {
        Map<String, Set<Event>> w = resolve();
        if (w.size() > maxMailboxes) {
            out.untagged().raw("OK [NOTIFICATIONOVERFLOW] Too many mailboxes to watch; notifications are off").crlf();
            close();
            return false;
        }
        if (!w.keySet().equals(watched.keySet())) {
            for (String name : w.keySet()) {
                if (!watched.containsKey(name)) {
                    Known k = knownNow(name, w.get(name));
                    if (k != null) {
                        known.put(name, k);
                    }
                }
            }
            known.keySet().retainAll(w.keySet());
            Watch old = mailWatch;
            mailWatch = watchable.watchMail(Set.copyOf(w.keySet()), this);
            if (old != null) {
                old.close();
            }
        }
        watched = w;
        return true;
    }

    private void writeRename(ResponseWriter out, String from, String to) throws IOException, StoreException {
        // Keep the snapshot in step, so that the hierarchy diff that follows reports nothing twice.
        Map<String, Set<String>> now = new LinkedHashMap<>();
        String prefix = from + mail.separator();
        for (Map.Entry<String, Set<String>> e : existing.entrySet()) {
            String n = e.getKey();
            if (n.equals(from)) {
                now.put(to, e.getValue());
            } else if (n.startsWith(prefix)) {
                now.put(to + n.substring(from.length()), e.getValue());
            } else {
                now.put(n, e.getValue());
            }
        }
        existing = now;
        if (wantsMailboxName(to) || wantsMailboxName(from)) {
            writeList(out, to, attributes(to), from);
        }
    }

    /** {@code * LIST (attributes) "sep" name}, with OLDNAME (RFC 5465 5.4, RFC 5258 extended data) for a rename. */
    private void writeList(ResponseWriter out, String name, Set<String> attributes, String oldName) throws IOException {
        out.untagged().raw("LIST (").raw(String.join(" ", attributes)).raw(") ")
                .string(String.valueOf(mail.separator())).sp().astring(names.encode(name));
        if (oldName != null) {
            out.raw(" (\"OLDNAME\" (").astring(names.encode(oldName)).raw("))");
        }
        out.crlf();
    }

    /** A mailbox's attributes now: \NonExistent if it is gone, \Subscribed when subscribed (5.4, 5.5). */
    private Set<String> attributes(String name) {
        Set<String> a = new LinkedHashSet<>();
        Set<String> stored = existing.get(name);
        if (stored == null) {
            a.add("\\NonExistent");
        } else {
            a.addAll(new TreeSet<>(stored));
        }
        if (subscribed.contains(name)) {
            a.add("\\Subscribed");
        }
        return a;
    }

    private void readHierarchy() throws StoreException {
        existing = listHierarchy();
    }

    private Map<String, Set<String>> listHierarchy() throws StoreException {
        Map<String, Set<String>> now = new LinkedHashMap<>();
        for (MailboxInfo info : mail.list()) {
            if (!info.attributes().contains("\\Noselect") && !info.attributes().contains("\\NonExistent")) {
                now.put(info.name(), info.attributes());
            }
        }
        return now;
    }

    private void readSubscriptions() throws StoreException {
        subscribed = new TreeSet<>(mail.subscriptions());
    }

    /**
     * Mailbox -> message events, from the groups other than SELECTED in order: a mailbox takes the
     * events of the first group whose filter matches it. Only existing mailboxes are watched; a name
     * that comes to exist is taken in when the hierarchy changes.
     */
    Map<String, Set<Event>> resolve() {
        Map<String, Set<Event>> out = new LinkedHashMap<>();
        for (String name : existing.keySet()) {
            for (Group g : spec.groups()) {
                if (g.selected() || !matches(g, name)) {
                    continue;
                }
                Set<Event> events = EnumSet.noneOf(Event.class);
                for (Event e : g.events()) {
                    if (e.message) {
                        events.add(e);
                    }
                }
                if (!events.isEmpty()) {
                    out.put(name, events);
                }
                break;
            }
        }
        return out;
    }

    /** Whether a filter other than SELECTED takes in a mailbox (RFC 5465 6.2 to 6.6). */
    boolean matches(Group g, String name) {
        char sep = mail.separator();
        return switch (g.filter()) {
            case SELECTED, SELECTED_DELAYED -> false;
            // 6.3: where new mail is delivered; Maildir deliveries go to INBOX (a filter on the MDA's
            // side that files into folders is invisible here, so those folders are not "inboxes").
            case INBOXES -> name.equals("INBOX");
            case PERSONAL -> true;
            case SUBSCRIBED -> subscribed.contains(name);
            case SUBTREE -> named.get(g).stream().anyMatch(root -> name.equals(root) || name.startsWith(root + sep));
            case MAILBOXES -> named.get(g).contains(name); // 6.6: no wildcards
        };
    }

    private boolean wantsMailboxName(String name) {
        return wants(Event.MAILBOX_NAME, name);
    }

    private boolean wantsSubscriptionChange(String name) {
        return wants(Event.SUBSCRIPTION_CHANGE, name);
    }

    /** Whether any group asks for an event that is about no mailbox (ServerMetadataChange, 5.7). */
    private boolean wantsAnywhere(Event event) {
        return spec.groups().stream().anyMatch(g -> g.events().contains(event));
    }

    /** The first group other than SELECTED that matches the name decides (as for message events). */
    private boolean wants(Event event, String name) {
        for (Group g : spec.groups()) {
            if (!g.selected() && matches(g, name)) {
                return g.events().contains(event);
            }
        }
        return false;
    }

    private static String selectedName(SessionState state) {
        return state instanceof SessionState.Selected s ? s.mailbox().store().name() : null;
    }

    /** Number of mailboxes watched for message events (for tests and the log). */
    int watchedCount() {
        return watched.size();
    }

    /** Ends every watch (NOTIFY NONE, a new NOTIFY SET, logout, overflow). */
    public void close() {
        ended = true;
        if (mailWatch != null) {
            mailWatch.close();
            mailWatch = null;
        }
        if (selectedWatch != null) {
            selectedWatch.close();
            selectedWatch = null;
        }
        if (metadataWatch != null) {
            metadataWatch.close();
            metadataWatch = null;
        }
    }

    // --- MetadataNotices.Listener: the changing session's thread; record and wake only ---

    void metadataChanged(String mailbox, List<String> entries) {
        synchronized (metadataChanged) {
            if (metadataOverflow) {
                return;
            }
            Set<String> names = metadataChanged.computeIfAbsent(mailbox == null ? "" : mailbox, k -> new LinkedHashSet<>());
            for (String e : entries) {
                if (names.add(e) && ++metadataPending > MAX_PENDING_METADATA) {
                    metadataOverflow = true;
                    metadataChanged.clear();
                    metadataPending = 0;
                    break;
                }
            }
        }
        wake.run();
    }

    // --- MailListener: store threads; record and wake only ---

    @Override
    public void messagesChanged(String mailbox) {
        dirty.add(mailbox);
        wake.run();
    }

    @Override
    public void mailboxesChanged() {
        hierarchyDirty.set(true);
        wake.run();
    }

    @Override
    public void mailboxRenamed(String from, String to) {
        synchronized (renames) {
            renames.add(new Rename(from, to, false));
        }
        hierarchyDirty.set(true);
        wake.run();
    }

    @Override
    public void subscriptionsChanged() {
        subscriptionsDirty.set(true);
        wake.run();
    }
}
