package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.FetchAttribute;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.fetch.FetchRenderer;
import posthorn.imap.server.internal.fetch.ReadAhead;
import posthorn.imap.server.internal.acl.GuardedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.StoreParts;
import posthorn.imap.server.internal.state.SelectedMailbox.BadSequenceException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.TransferDecoding;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8). Fetching a body section without PEEK sets \Seen in a
 * read-write mailbox, before the response, so that the FLAGS it carries are true. Each message's
 * response is {@link FetchRenderer}'s. BINARY, BINARY.PEEK and BINARY.SIZE (RFC 3516) of an encoding
 * the server cannot undo end the command with NO [UNKNOWN-CTE]. The modifier (PARTIAL range) of
 * RFC 9394 3.3 fetches only a window of the messages the set selects ("the last 30": -1:-30).
 *
 * <p>A message another session expunged (its EXPUNGE held back, RFC 3501 7.4.1, or its file gone
 * while the command runs): RFC 2180 4.1 lets a server refuse the FETCH (4.1.2, NO) or answer it
 * (4.1.1, 4.1.3). Posthorn answers as Dovecot does, which is what clients and test suites handle
 * best: the message gets a FETCH response with what is still known (UID, FLAGS, INTERNALDATE,
 * RFC822.SIZE; ENVELOPE and BODYSTRUCTURE when cached) and NIL for its body sections, the other
 * messages are answered in full, and the command completes {@code OK}; with
 * {@code [EXPUNGEISSUED]} (RFC 5530) when something was NIL or left out, plain {@code OK} when the
 * metadata answered everything asked (FETCH FLAGS). No \Seen is set on an expunged message.
 */
final class Fetch implements Command<SessionState.Selected> {
    private final boolean uid;

    Fetch(boolean uid) {
        this.uid = uid;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        SequenceSet set = args.sequenceSet();
        args.sp();
        List<FetchAttribute> attributes = new ArrayList<>(args.fetchAttributes());
        long changedSince = -1;
        boolean vanished = false;
        SearchReturn.Partial partial = null;
        if (!args.atEnd()) {
            // RFC 4466 fetch-modifiers: CHANGEDSINCE (RFC 7162 3.1.4.1), VANISHED (3.2.6), PARTIAL (RFC 9394 3.3)
            args.sp();
            args.listOpen();
            boolean first = true;
            while (!args.peek(')')) {
                if (!first) {
                    args.sp();
                }
                first = false;
                String m = args.atom().toUpperCase(java.util.Locale.ROOT);
                switch (m) {
                    case "CHANGEDSINCE" -> {
                        args.sp();
                        changedSince = CondStore.modSeq(args, false);
                    }
                    case "VANISHED" -> vanished = true;
                    case "PARTIAL" -> {
                        if (partial != null) {
                            throw new ProtocolException("PARTIAL given twice");
                        }
                        args.sp();
                        partial = SearchReturn.range(args.atom());
                    }
                    default -> throw new ProtocolException("Unknown FETCH modifier " + m);
                }
            }
            args.listClose();
            if (first) {
                throw new ProtocolException("Empty FETCH modifier list");
            }
        }
        args.end();
        if (vanished && (!uid || changedSince < 0 || !ctx.enabled(CondStore.QRESYNC))) {
            throw new ProtocolException("VANISHED needs UID FETCH with CHANGEDSINCE after ENABLE QRESYNC");
        }
        // RFC 3501 6.4.8: UID FETCH answers UID even when not asked; under UIDONLY (RFC 9586 3.3) the
        // UID is the UIDFETCH response's number, and the UID item comes only when asked for
        if (uid && !state.mailbox().uidOnly() && attributes.stream().noneMatch(a -> a instanceof FetchAttribute.Uid)) {
            attributes.add(0, new FetchAttribute.Uid());
        }
        SelectedMailbox view = state.mailbox();
        for (FetchAttribute a : attributes) {
            // RFC 8474, RFC 8514: items of an extension the bound store does not have are unknown here
            Class<?> part = switch (a) {
                case FetchAttribute.EmailId x -> posthorn.store.api.ObjectIdMailbox.class;
                case FetchAttribute.ThreadId x -> posthorn.store.api.ObjectIdMailbox.class;
                case FetchAttribute.SaveDate x -> posthorn.store.api.SaveDateMailbox.class;
                default -> null;
            };
            if (part != null && StoreParts.of(view.store(), part) == null) {
                throw new ProtocolException("Unknown fetch attribute: this store has no " + part.getSimpleName());
            }
        }
        boolean modSeqAsked = attributes.stream().anyMatch(a -> a instanceof FetchAttribute.ModSeq);
        if (changedSince >= 0 || modSeqAsked) {
            CondStore.enable(ctx, view); // RFC 7162 3.1: a CONDSTORE enabling command
            CondStore.requireModSeqs(view);
            if (!modSeqAsked) {
                attributes.add(new FetchAttribute.ModSeq());
            }
        }
        List<Integer> seqs;
        try {
            seqs = Selection.seqs(view, set, uid);
        } catch (BadSequenceException e) {
            throw new ProtocolException(e.getMessage());
        }
        if (vanished) {
            // "$" (RFC 5182) stands for the saved UIDs; those expunged since are no longer in it, so
            // it names no vanished UID
            if (!set.isSaved()) {
                Qresync.vanishedEarlier(ctx.out(), view, changedSince, set, view.store().uidNext() - 1, 0);
            }
        }
        if (changedSince >= 0) {
            List<Integer> changed = new ArrayList<>();
            for (int seq : seqs) {
                if (view.modSeq(view.uidAt(seq)) > changedSince) {
                    changed.add(seq);
                }
            }
            seqs = changed;
        }
        if (partial != null) {
            // RFC 9394 3.3: only the messages in the window of those the set selects, counted in UID
            // (so sequence) order, from the first or (negative range) from the last; after
            // CHANGEDSINCE has narrowed them (3.4, informative: the two modifiers combine)
            int[] w = partial.window(seqs.size());
            seqs = seqs.subList(w[0], w[1]);
        }
        // RFC 4314 4: without the s right a FETCH does not set \Seen (and does not fail).
        boolean setsSeen = !view.readOnly() && attributes.stream().anyMatch(FetchAttribute::setsSeen)
                && (!(view.store() instanceof GuardedMailbox guarded) || guarded.may('s'));
        boolean hasFlags = attributes.stream().anyMatch(a -> a instanceof FetchAttribute.Flags);
        Set<Long> seenNow = new HashSet<>();
        if (setsSeen) {
            List<Long> unseen = new ArrayList<>();
            for (int seq : seqs) {
                long u = view.uidAt(seq);
                if (!view.isExpunged(u) && !view.meta(u).flags().contains(Flags.SEEN)) {
                    unseen.add(u);
                }
            }
            if (!unseen.isEmpty()) {
                Map<Long, Set<String>> after = view.store().store(unseen, FlagMode.ADD, Set.of(Flags.SEEN));
                for (Map.Entry<Long, Set<String>> e : after.entrySet()) {
                    view.reported(e.getKey(), e.getValue());
                    seenNow.add(e.getKey());
                }
                if (view.condStore()) {
                    view.sync(ctx.out(), false); // the store's view catches up: the new MODSEQs (RFC 7162 3.1)
                }
            }
        }
        boolean expungeIssued = false;
        // FETCH (FLAGS), (UID FLAGS), UID FETCH (FLAGS) and the like: written from the view's arrays
        boolean viewOnly = FetchRenderer.viewOnly(attributes);
        boolean anyExpunged = view.anyExpunged();
        MimeCuts cuts = new MimeCuts(ctx.mimeLimits());
        FetchRenderer.Plan plan = new FetchRenderer.Plan(attributes, cuts);
        // r is checked once for the messages this command reads, not once a message (see holdRights)
        try (GuardedMailbox.Held rights = GuardedMailbox.hold(view.store());
             ReadAhead ahead = readAhead(view, seqs, attributes, cuts, ctx.readAheadBytes())) {
            int index = 0;
            int done = 0;
            for (int seq : seqs) {
                if ((++done & 255) == 0) {
                    ctx.progress(done - 1, seqs.size()); // INPROGRESS (RFC 9585), at most every inprogress.interval
                }
                long u = view.uidAt(seq);
                if (ahead != null) {
                    ahead.prepare(index++);
                }
                if (anyExpunged && view.isExpunged(u)) {
                    expungeIssued |= !FetchRenderer.writeExpunged(ctx.out(), view.store(), view.at(seq), view.metaAt(seq),
                            view.recentAt(seq), attributes, cuts);
                    continue;
                }
                if (viewOnly) {
                    FetchRenderer.writeFromView(ctx.out(), view, seq, u, attributes);
                    continue;
                }
                List<FetchAttribute> items = attributes;
                FetchRenderer.Plan itemsPlan = plan;
                if (!hasFlags && !seenNow.isEmpty() && seenNow.contains(u)) {
                    items = new ArrayList<>(attributes);
                    items.add(new FetchAttribute.Flags());
                    if (view.condStore() && !items.contains(new FetchAttribute.ModSeq())) {
                        items.add(new FetchAttribute.ModSeq()); // RFC 7162 3.1: \Seen set implicitly
                    }
                    itemsPlan = new FetchRenderer.Plan(items, cuts);
                }
                MessageMeta meta = view.metaAt(seq);
                boolean recent = view.recentAt(seq);
                if (!FetchRenderer.write(ctx.out(), view.store(), view.at(seq), meta, recent, itemsPlan, cuts)) {
                    // Gone while this command runs; the EXPUNGE follows with the next sync.
                    expungeIssued |= !FetchRenderer.writeExpunged(ctx.out(), view.store(), view.at(seq), meta,
                            recent, items, cuts);
                }
            }
        } catch (TransferDecoding.UnknownCteException e) {
            // RFC 3516 4.3: BINARY of a part whose encoding the server cannot undo.
            ctx.log().info("s{} {}: {}", ctx.id(), ctx.command(), e.getMessage());
            ctx.out().status(tag, Status.NO, "UNKNOWN-CTE", e.getMessage());
            return;
        } finally {
            ctx.logCuts(cuts);
        }
        if (expungeIssued) {
            ctx.ok(tag, "EXPUNGEISSUED", "Some messages were expunged by another session; sent what is known of them");
            return;
        }
        ctx.completed(tag);
    }

    /**
     * A {@link ReadAhead} for a FETCH of several messages whose only items that read the message are
     * ENVELOPE, BODY or BODYSTRUCTURE (with a body section in the command the renderer reads the text
     * anyway); null otherwise.
     */
    private static ReadAhead readAhead(SelectedMailbox view, List<Integer> seqs, List<FetchAttribute> attributes,
                                       MimeCuts cuts, long budget) {
        if (seqs.size() < 4 || budget <= 0) {
            return null;
        }
        ReadAhead.Need need = null;
        for (FetchAttribute a : attributes) {
            switch (a) {
                case FetchAttribute.Uid x -> { }
                case FetchAttribute.Flags x -> { }
                case FetchAttribute.InternalDate x -> { }
                case FetchAttribute.Rfc822Size x -> { }
                case FetchAttribute.SaveDate x -> { }
                case FetchAttribute.EmailId x -> { }
                case FetchAttribute.ThreadId x -> { }
                case FetchAttribute.Envelope x -> need = need == null ? ReadAhead.Need.ENVELOPE : need;
                case FetchAttribute.BodyStructure b -> need = b.extensible() || need == ReadAhead.Need.BODYSTRUCTURE
                        ? ReadAhead.Need.BODYSTRUCTURE : ReadAhead.Need.BODY;
                default -> {
                    return null;
                }
            }
        }
        if (need == null) {
            return null;
        }
        return new ReadAhead(view.store(), seqs.size(), i -> view.metaAt(seqs.get(i)), need, cuts, budget);
    }
}
