package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.io.InputStream;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
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
import posthorn.imap.server.internal.MessageSections;
import posthorn.imap.server.internal.SelectedMailbox;
import posthorn.imap.server.internal.SelectedMailbox.BadSequenceException;
import posthorn.imap.server.internal.Session;
import posthorn.imap.server.internal.SessionState;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8). Fetching a body section without PEEK sets \Seen in a
 * read-write mailbox, before the response, so that the FLAGS it carries are true. A whole message is
 * streamed from the store; sections are cut from the message in memory.
 */
final class Fetch implements Command {
    private final boolean uid;

    Fetch(boolean uid) {
        this.uid = uid;
    }

    @Override
    public String name() {
        return uid ? "UID FETCH" : "FETCH";
    }

    @Override
    public Set<State> states() {
        return SELECTED;
    }

    @Override
    public Sequences sequences() {
        return uid ? Sequences.NONE : Sequences.USES;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        SequenceSet set = args.sequenceSet();
        args.sp();
        List<FetchAttribute> attributes = new ArrayList<>(args.fetchAttributes());
        args.end();
        if (uid && attributes.stream().noneMatch(a -> a instanceof FetchAttribute.Uid)) {
            attributes.add(0, new FetchAttribute.Uid());
        }
        for (FetchAttribute a : attributes) {
            if (a instanceof FetchAttribute.Envelope || a instanceof FetchAttribute.BodyStructure) {
                throw new StoreException(StoreException.Reason.CANNOT,
                        "ENVELOPE and BODYSTRUCTURE are not implemented in this version");
            }
        }
        SelectedMailbox view = ((SessionState.Selected) session.state()).mailbox();
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
            if (!writeMessage(session.out(), view, seq, u, items)) {
                expungedSkipped = true;
            }
        }
        if (expungedSkipped) {
            throw new StoreException(StoreException.Reason.EXPUNGEISSUED,
                    "Some messages were expunged by another session and could not be fetched");
        }
        session.ok(tag, null, name() + " completed");
    }

    /** One FETCH response; false if the message vanished before anything was written. */
    private static boolean writeMessage(ResponseWriter out, SelectedMailbox view, int seq, long uid,
                                        List<FetchAttribute> items) throws IOException, StoreException {
        MessageMeta meta = view.meta(uid);
        byte[] text = null;
        boolean streamWhole = false;
        for (FetchAttribute a : items) {
            if (needsText(a)) {
                if (isWhole(a) && items.stream().filter(Fetch::needsText).count() == 1) {
                    streamWhole = true;
                } else {
                    text = read(view, uid);
                    if (text == null) {
                        return false;
                    }
                }
                break;
            }
        }
        // Cut every section before writing, so that a section that cannot be served fails the
        // command cleanly instead of leaving a response half written.
        byte[][] sections = new byte[items.size()][];
        for (int i = 0; i < items.size(); i++) {
            FetchAttribute a = items.get(i);
            if (a instanceof FetchAttribute.Body b && !(streamWhole && b.origin() < 0)) {
                byte[] data = section(text, b.section());
                if (b.origin() >= 0) {
                    int from = (int) Math.min(b.origin(), data.length);
                    int to = (int) Math.min((long) from + b.length(), data.length);
                    data = Arrays.copyOfRange(data, from, to);
                }
                sections[i] = data;
            } else if (a instanceof FetchAttribute.Rfc822 r && r.kind() != Section.Kind.ALL) {
                sections[i] = section(text, new Section(List.of(), r.kind(), List.of()));
            }
        }
        InputStream whole = null;
        if (streamWhole) {
            try {
                whole = view.store().openMessage(uid);
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
                    case FetchAttribute.Rfc822 r -> {
                        switch (r.kind()) {
                            case HEADER -> out.raw("RFC822.HEADER ").literal(sections[i]);
                            case TEXT -> out.raw("RFC822.TEXT ").literal(sections[i]);
                            default -> {
                                out.raw("RFC822 ");
                                body(out, text, whole, meta);
                            }
                        }
                    }
                    case FetchAttribute.Body b -> {
                        out.raw("BODY[").raw(b.section().spec()).raw("]");
                        if (b.origin() >= 0) {
                            out.raw("<").number(b.origin()).raw(">");
                        }
                        out.sp();
                        if (sections[i] == null) {
                            body(out, null, whole, meta);
                        } else {
                            out.literal(sections[i]);
                        }
                    }
                    case FetchAttribute.Envelope x -> throw new IllegalStateException("refused above");
                    case FetchAttribute.BodyStructure x -> throw new IllegalStateException("refused above");
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

    private static void body(ResponseWriter out, byte[] text, InputStream whole, MessageMeta meta) throws IOException {
        if (whole != null) {
            out.literal(whole, meta.size());
        } else {
            out.literal(text);
        }
    }

    private static byte[] section(byte[] text, Section s) throws StoreException {
        try {
            return MessageSections.extract(text, s);
        } catch (UnsupportedOperationException e) {
            throw new StoreException(StoreException.Reason.CANNOT,
                    "Fetching " + e.getMessage() + " is not implemented in this version");
        }
    }

    private static byte[] read(SelectedMailbox view, long uid) throws IOException, StoreException {
        try (InputStream in = view.store().openMessage(uid)) {
            return in.readAllBytes();
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                return null;
            }
            throw e;
        }
    }

    private static boolean needsText(FetchAttribute a) {
        return a instanceof FetchAttribute.Body || a instanceof FetchAttribute.Rfc822;
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
