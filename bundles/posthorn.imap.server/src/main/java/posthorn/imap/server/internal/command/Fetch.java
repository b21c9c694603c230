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
 * RFC 9394 3.2 fetches only a window of the messages the set selects ("the last 30": -1:-30).
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
        SearchReturn.Partial partial = null;
        if (!args.atEnd()) {
            args.sp();
            partial = modifiers(args);
        }
        args.end();
        if (uid && attributes.stream().noneMatch(a -> a instanceof FetchAttribute.Uid)) {
            attributes.add(0, new FetchAttribute.Uid());
        }
        SelectedMailbox view = state.mailbox();
        List<Integer> seqs;
        try {
            seqs = Selection.seqs(view, set, uid);
        } catch (BadSequenceException e) {
            throw new ProtocolException(e.getMessage());
        }
        if (partial != null) {
            // RFC 9394 3.2: only the messages in the window of those the set selects, counted in UID
            // (so sequence) order, from the first or (negative range) from the last
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
            }
        }
        boolean expungeIssued = false;
        MimeCuts cuts = new MimeCuts(ctx.mimeLimits());
        try (ReadAhead ahead = readAhead(view, seqs, attributes, cuts, ctx.readAheadBytes())) {
            int index = 0;
            for (int seq : seqs) {
                long u = view.uidAt(seq);
                if (ahead != null) {
                    ahead.prepare(index++);
                }
                if (view.isExpunged(u)) {
                    expungeIssued |= !FetchRenderer.writeExpunged(ctx.out(), view.store(), seq, view.meta(u),
                            view.isRecent(u), attributes, cuts);
                    continue;
                }
                List<FetchAttribute> items = attributes;
                if (!hasFlags && !seenNow.isEmpty() && seenNow.contains(u)) {
                    items = new ArrayList<>(attributes);
                    items.add(new FetchAttribute.Flags());
                }
                if (!FetchRenderer.write(ctx.out(), view.store(), seq, view.meta(u), view.isRecent(u), items, cuts)) {
                    // Gone while this command runs; the EXPUNGE follows with the next sync.
                    expungeIssued |= !FetchRenderer.writeExpunged(ctx.out(), view.store(), seq, view.meta(u),
                            view.isRecent(u), items, cuts);
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
     * The fetch modifiers (RFC 4466 2.4: "(" fetch-modifier *(SP fetch-modifier) ")"): PARTIAL range
     * (RFC 9394 3.2); anything else, or PARTIAL twice, is BAD.
     */
    private static SearchReturn.Partial modifiers(ArgReader args) throws ProtocolException {
        SearchReturn.Partial partial = null;
        args.listOpen();
        boolean first = true;
        while (!args.peek(')')) {
            if (!first) {
                args.sp();
            }
            first = false;
            String m = args.atom();
            if (!m.equalsIgnoreCase("PARTIAL") || partial != null) {
                throw new ProtocolException(partial != null ? "PARTIAL given twice" : "Unknown FETCH modifier " + m);
            }
            args.sp();
            partial = SearchReturn.range(args.atom());
        }
        args.listClose();
        if (partial == null) {
            throw new ProtocolException("Empty FETCH modifier list");
        }
        return partial;
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
        MessageMeta[] order = new MessageMeta[seqs.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = view.meta(view.uidAt(seqs.get(i)));
        }
        return new ReadAhead(view.store(), order, need, cuts, budget);
    }
}
