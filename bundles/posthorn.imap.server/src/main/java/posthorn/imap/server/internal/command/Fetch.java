package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.io.InputStream;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.FetchAttribute;
import posthorn.imap.protocol.ImapDates;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Section;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.fetch.DerivedCache;
import posthorn.imap.server.internal.fetch.FetchData;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SelectedMailbox.BadSequenceException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.mime.TransferDecoding;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8). Fetching a body section without PEEK sets \Seen in a
 * read-write mailbox, before the response, so that the FLAGS it carries are true. A whole message is
 * streamed from the store; sections are cut from the message in memory, which is read and parsed at
 * most once per message and command. ENVELOPE, BODY and BODYSTRUCTURE come from the store's cache
 * when it has them, else from the parsed message (only its header for ENVELOPE), and are cached.
 * BINARY, BINARY.PEEK and BINARY.SIZE (RFC 3516) decode the part's transfer encoding; an encoding
 * the server cannot undo ends the command with NO [UNKNOWN-CTE].
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
        args.end();
        if (uid && attributes.stream().noneMatch(a -> a instanceof FetchAttribute.Uid)) {
            attributes.add(0, new FetchAttribute.Uid());
        }
        SelectedMailbox view = state.mailbox();
        List<Integer> seqs;
        try {
            seqs = view.select(set, uid);
        } catch (BadSequenceException e) {
            throw new ProtocolException(e.getMessage());
        }
        boolean setsSeen = !view.readOnly() && attributes.stream().anyMatch(FetchAttribute::setsSeen);
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
        boolean expungedSkipped = false;
        try {
            for (int seq : seqs) {
                long u = view.uidAt(seq);
                if (view.isExpunged(u)) {
                    expungedSkipped = true;
                    continue;
                }
                List<FetchAttribute> items = attributes;
                if (seenNow.contains(u) && !hasFlags) {
                    items = new ArrayList<>(attributes);
                    items.add(new FetchAttribute.Flags());
                }
                if (!writeMessage(ctx.out(), view, seq, u, items)) {
                    expungedSkipped = true;
                }
            }
        } catch (TransferDecoding.UnknownCteException e) {
            // RFC 3516 4.3: BINARY of a part whose encoding the server cannot undo.
            ctx.log().info("s{} {}: {}", ctx.id(), ctx.command(), e.getMessage());
            ctx.out().status(tag, Status.NO, "UNKNOWN-CTE", e.getMessage());
            return;
        }
        if (expungedSkipped) {
            throw new StoreException(StoreException.Reason.EXPUNGEISSUED,
                    "Some messages were expunged by another session and could not be fetched");
        }
        ctx.completed(tag);
    }

    /** One FETCH response; false if the message vanished before anything was written. */
    private static boolean writeMessage(ResponseWriter out, SelectedMailbox view, int seq, long uid,
                                        List<FetchAttribute> items)
            throws IOException, StoreException, TransferDecoding.UnknownCteException {
        MessageMeta meta = view.meta(uid);
        Mailbox box = view.store();
        long textItems = items.stream().filter(Fetch::needsText).count();
        boolean wholeOnly = textItems == 1 && items.stream().filter(Fetch::needsText).allMatch(Fetch::isWhole);
        // Derived values first from the cache; the message is read (once) only for what is missing.
        byte[][] derived = new byte[items.size()][];
        boolean needText = textItems > 0 && !wholeOnly;
        boolean needHeader = false;
        for (int i = 0; i < items.size(); i++) {
            String field = cacheField(items.get(i));
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
        FetchData data = null;
        if (needText) {
            byte[] text = read(view, uid, false);
            if (text == null) {
                return false;
            }
            data = FetchData.of(text);
        } else if (needHeader) {
            byte[] header = read(view, uid, true);
            if (header == null) {
                return false;
            }
            data = FetchData.of(header);
        }
        for (int i = 0; i < items.size(); i++) {
            String field = cacheField(items.get(i));
            if (field != null && derived[i] == null) {
                derived[i] = switch (items.get(i)) {
                    case FetchAttribute.Envelope e -> data.envelope();
                    case FetchAttribute.BodyStructure b -> data.bodyStructure(b.extensible());
                    default -> throw new AssertionError();
                };
                DerivedCache.put(box, uid, field, derived[i]);
            }
        }
        // Cut every section before writing, so that a failure cannot leave a response half written.
        byte[][] sections = new byte[items.size()][];
        for (int i = 0; i < items.size(); i++) {
            FetchAttribute a = items.get(i);
            if (a instanceof FetchAttribute.Body b && !(wholeOnly && isWhole(b))) {
                byte[] bytes = data.section(b.section());
                sections[i] = b.origin() >= 0 ? FetchData.partial(bytes, b.origin(), b.length()) : bytes;
            } else if (a instanceof FetchAttribute.Rfc822 r && !(wholeOnly && isWhole(r))) {
                sections[i] = data.section(new Section(List.of(), r.kind(), List.of()));
            } else if (a instanceof FetchAttribute.Binary b) {
                byte[] bytes = data.binary(b.part());
                sections[i] = b.origin() >= 0 ? FetchData.partial(bytes, b.origin(), b.length()) : bytes;
            } else if (a instanceof FetchAttribute.BinarySize b) {
                sections[i] = data.binary(b.part());
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
            out.untagged().number(seq).raw(" FETCH (");
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    out.sp();
                }
                FetchAttribute a = items.get(i);
                switch (a) {
                    case FetchAttribute.Uid x -> out.raw("UID ").number(uid);
                    case FetchAttribute.Flags x -> {
                        out.raw("FLAGS ");
                        SelectedMailbox.writeFlags(out, meta.flags(), view.isRecent(uid));
                    }
                    case FetchAttribute.InternalDate x -> out.raw("INTERNALDATE \"")
                            .raw(ImapDates.formatDateTime(meta.internalDate().atZone(ZoneId.systemDefault())))
                            .raw("\"");
                    case FetchAttribute.Rfc822Size x -> out.raw("RFC822.SIZE ").number(meta.size());
                    case FetchAttribute.Envelope x -> out.raw("ENVELOPE ").raw(derived[i]);
                    case FetchAttribute.BodyStructure x -> out.raw(x.extensible() ? "BODYSTRUCTURE " : "BODY ")
                            .raw(derived[i]);
                    case FetchAttribute.Rfc822 r -> {
                        switch (r.kind()) {
                            case HEADER -> out.raw("RFC822.HEADER ").literal(sections[i]);
                            case TEXT -> out.raw("RFC822.TEXT ").literal(sections[i]);
                            default -> {
                                out.raw("RFC822 ");
                                body(out, sections[i], whole, meta);
                            }
                        }
                    }
                    case FetchAttribute.Body b -> {
                        out.raw("BODY[").raw(FetchData.responseSpec(b.section())).raw("]");
                        if (b.origin() >= 0) {
                            out.raw("<").number(b.origin()).raw(">");
                        }
                        out.sp();
                        body(out, sections[i], whole, meta);
                    }
                    case FetchAttribute.Binary b -> {
                        out.raw("BINARY[").raw(b.spec()).raw("]");
                        if (b.origin() >= 0) {
                            out.raw("<").number(b.origin()).raw(">");
                        }
                        out.sp().binary(sections[i]);
                    }
                    case FetchAttribute.BinarySize b -> out.raw("BINARY.SIZE[").raw(b.spec()).raw("] ")
                            .number(sections[i].length);
                }
            }
            out.raw(")").crlf();
        } finally {
            if (whole != null) {
                whole.close();
            }
        }
        return true;
    }

    private static String cacheField(FetchAttribute a) {
        return switch (a) {
            case FetchAttribute.Envelope e -> DerivedCache.ENVELOPE;
            case FetchAttribute.BodyStructure b -> b.extensible() ? DerivedCache.BODYSTRUCTURE : DerivedCache.BODY;
            default -> null;
        };
    }

    private static void body(ResponseWriter out, byte[] section, InputStream whole, MessageMeta meta) throws IOException {
        if (section == null) {
            out.literal(whole, meta.size());
        } else {
            out.literal(section);
        }
    }

    /** The message's text, or only its header; null if the message vanished. */
    private static byte[] read(SelectedMailbox view, long uid, boolean headerOnly) throws IOException, StoreException {
        try (InputStream in = view.store().openMessage(uid)) {
            return headerOnly ? FetchData.readHeader(in) : in.readAllBytes();
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
