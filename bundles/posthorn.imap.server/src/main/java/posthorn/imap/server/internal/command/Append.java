package posthorn.imap.server.internal.command;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * APPEND (RFC 3501 6.3.11) with MULTIAPPEND (RFC 3502: all messages or none), the APPENDUID
 * response code (RFC 4315) and CATENATE (RFC 4469). The message arrives as a literal that the receiver
 * has checked against literal.max before the client sent it; a small one is in the command line, a
 * larger one the session has streamed into an upload of the user's store as it arrived, which the
 * mailbox then takes without a copy. A CATENATE message is written part by part into a new upload
 * (TEXT literals, and what each URL names, read as FETCH BODY.PEEK reads it: {@link MessageUrls}), so
 * the whole message is never in the heap; it may not exceed literal.max (NO [TOOBIG]), and a URL that
 * cannot be read fails the whole command with NO [BADURL url] (RFC 4469 section 5). The grammar is
 * read in one place, {@link AppendMessage}.
 */
final class Append implements Command<SessionState.LoggedIn> {

    /** Bytes copied at a time from a URL's part into a CATENATE upload. */
    private static final int COPY_CHUNK = 64 * 1024;

    /** A message ready to be appended: its text, or its upload (exactly one of them). */
    private record Ready(Set<String> flags, Instant date, byte[] text, MessageUpload upload) {
        long append(Mailbox box) throws StoreException, IOException {
            return upload != null ? box.append(upload, flags, date)
                    : box.append(new ByteArrayInputStream(text), flags, date);
        }

        long size() {
            return upload != null ? upload.size() : text.length;
        }
    }

    /** Why a CATENATE message cannot be made: NO with this response code (BADURL url, TOOBIG). */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        private final String code;

        Refused(String code, String text) {
            super(text);
            this.code = code;
        }
    }

    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String wire = ctx.names().wire(args);
        List<AppendMessage> messages = AppendMessage.readAll(args, ctx, ctx.urlSettings().catenateMaxParts());
        // An empty literal is grammatical ({0}, RFC 3501 9), so it is not BAD; an empty message is
        // refused as Dovecot refuses it, with NO (nothing appended, not even the others of a
        // MULTIAPPEND). A CATENATE message is checked once it is made.
        for (AppendMessage m : messages) {
            if (m.content() instanceof AppendMessage.Literal l && l.size() == 0) {
                throw new StoreException(StoreException.Reason.CANNOT, "Cannot append an empty message");
            }
        }
        String name = ctx.names().decode(wire);
        Mailbox box = null;
        boolean own = false;
        if (state instanceof SessionState.Selected s && s.mailbox().store().name().equals(name)
                && !s.mailbox().readOnly()) {
            box = s.mailbox().store();
        } else {
            try {
                box = state.mail().open(name, false);
                own = true;
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.NONEXISTENT) {
                    throw new StoreException(StoreException.Reason.TRYCREATE, "Mailbox does not exist: " + wire);
                }
                throw e;
            }
        }
        List<MessageUpload> made = new ArrayList<>();
        List<Long> uids = new ArrayList<>();
        try {
            List<Ready> ready = new ArrayList<>();
            try {
                for (AppendMessage m : messages) {
                    ready.add(prepare(ctx, state, m, made));
                }
            } catch (Refused r) {
                ctx.log().info("s{} NO APPEND {}: [{}] {}", ctx.id(), name,
                        r.code.startsWith("BADURL") ? "BADURL" : r.code, r.getMessage());
                ctx.out().status(tag, Status.NO, r.code, r.code.startsWith("BADURL")
                        ? "Cannot use the URL: " + publicReason(r.getMessage()) : r.getMessage());
                return;
            }
            for (Ready m : ready) {
                if (m.size() == 0) {
                    throw new StoreException(StoreException.Reason.CANNOT, "Cannot append an empty message");
                }
            }
            try {
                for (Ready m : ready) {
                    uids.add(m.append(box));
                }
            } catch (StoreException | IOException | RuntimeException e) {
                if (!uids.isEmpty()) {
                    try {
                        remove(state.mail(), box.name(), uids);
                    } catch (StoreException | RuntimeException undo) {
                        e.addSuppressed(undo);
                    }
                }
                throw e;
            }
            long[] all = uids.stream().mapToLong(Long::longValue).toArray();
            String code = "APPENDUID " + box.uidValidity() + " " + SequenceSet.ofNumbers(all);
            ctx.log().info("s{} APPEND {} messages={} uids={}", ctx.id(), name, uids.size(), SequenceSet.ofNumbers(all));
            ctx.ok(tag, code, "APPEND completed");
        } finally {
            for (MessageUpload u : made) {
                u.close();
            }
            if (own) {
                box.close();
            }
        }
    }

    /** What the client may be told of a URL's failure: where it could reveal a hidden mailbox, no more than that. */
    private static String publicReason(String why) {
        return why.startsWith("cannot open") || why.startsWith("cannot read") || why.startsWith("no message")
                ? "no such message, or no right to read it" : why;
    }

    /** A message as the mailbox takes it; a CATENATE one is built into a new upload, added to {@code made}. */
    private static Ready prepare(CommandContext ctx, SessionState.LoggedIn state, AppendMessage m,
                                 List<MessageUpload> made) throws Refused, IOException, StoreException {
        return switch (m.content()) {
            case AppendMessage.Literal l -> new Ready(m.flags(), m.date(), l.text(), l.upload());
            case AppendMessage.Catenate c -> {
                MessageUpload up = state.mail().upload();
                made.add(up);
                long max = ctx.urlSettings().literalMax();
                for (AppendMessage.CatPart part : c.parts()) {
                    switch (part) {
                        case AppendMessage.Literal t -> {
                            if (up.size() + t.size() > max) {
                                throw tooBig(max);
                            }
                            if (t.upload() != null) {
                                try (InputStream in = t.upload().open()) {
                                    copy(in, up, Long.MAX_VALUE, max);
                                }
                            } else {
                                up.write(ByteBuffer.wrap(t.text()));
                            }
                        }
                        case AppendMessage.Url u -> {
                            try (MessageUrls.Opened o = MessageUrls.catenatePart(ctx, state, u.url())) {
                                if (up.size() + o.body().size() > max) {
                                    throw tooBig(max);
                                }
                                copy(o.body().in(), up, o.body().size(), max);
                            } catch (MessageUrls.BadUrl b) {
                                throw new Refused(b.responseCode(), b.getMessage());
                            }
                        }
                    }
                }
                yield new Ready(m.flags(), m.date(), null, up);
            }
        };
    }

    private static Refused tooBig(long max) {
        return new Refused("TOOBIG", "The message would be larger than " + max + " bytes (literal.max)");
    }

    /** Copies at most {@code n} bytes in chunks, never letting the upload grow past {@code max}. */
    private static void copy(InputStream in, MessageUpload up, long n, long max) throws IOException, Refused {
        byte[] buf = new byte[COPY_CHUNK];
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                break;
            }
            if (up.size() + r > max) {
                throw tooBig(max);
            }
            up.write(ByteBuffer.wrap(buf, 0, r));
            left -= r;
        }
    }

    /**
     * RFC 3502: a MULTIAPPEND that fails leaves none of its messages behind. They are removed through a
     * handle of their own: the one they were appended through has not synced them into its view (a
     * handle ignores UIDs outside its view), and syncing the selected mailbox's handle here would take
     * changes away from the session's next report.
     */
    private static void remove(UserMail mail, String name, List<Long> uids) throws StoreException {
        try (Mailbox undo = mail.open(name, false)) {
            undo.sync();
            undo.store(uids, FlagMode.ADD, Set.of(Flags.DELETED));
            undo.expunge(uids);
        }
    }

    /** Canonical flags for a new message; \Recent cannot be set by a client. */
    static Set<String> flags(List<String> given) throws ProtocolException {
        Set<String> out = new LinkedHashSet<>();
        for (String f : given) {
            String c = Flags.canonical(f);
            if (c.equals(Flags.RECENT)) {
                continue;
            }
            if (c.startsWith("\\") && !Flags.isSystem(c)) {
                throw new ProtocolException("Unknown system flag " + f);
            }
            out.add(c);
        }
        return out;
    }
}
