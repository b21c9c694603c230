package posthorn.imap.server.internal.command;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * APPEND (RFC 3501 6.3.11) with MULTIAPPEND (RFC 3502: all messages or none) and the APPENDUID
 * response code (RFC 4315). The message arrives as a literal that the receiver has checked against
 * literal.max before the client sent it; a small one is in the command line, a larger one the session
 * has streamed into an upload of the user's store as it arrived, which the mailbox then takes without
 * a copy.
 */
final class Append implements Command<SessionState.LoggedIn> {

    /** A message to add: its text, or its upload (exactly one of them). Also REPLACE's (RFC 8508). */
    record Message(Set<String> flags, Instant date, byte[] text, MessageUpload upload) {
        long append(Mailbox box) throws StoreException, IOException {
            return upload != null ? box.append(upload, flags, date)
                    : box.append(new ByteArrayInputStream(text), flags, date);
        }
    }

    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String wire = ctx.names().wire(args);
        List<Message> messages = new ArrayList<>();
        while (args.skip(' ')) {
            messages.add(message(ctx, args));
        }
        args.end();
        if (messages.isEmpty()) {
            throw new ProtocolException("Expected a message literal");
        }
        // An empty literal is grammatical ({0}, RFC 3501 9), so it is not BAD; an empty message is
        // refused as Dovecot refuses it, with NO (nothing appended, not even the others of a
        // MULTIAPPEND).
        for (Message m : messages) {
            if (m.upload() != null ? m.upload().size() == 0 : m.text().length == 0) {
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
        List<Long> uids = new ArrayList<>();
        try {
            try {
                for (Message m : messages) {
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
            if (own) {
                box.close();
            }
        }
    }

    /**
     * One message argument, after its SP: [flag-list SP] [date-time SP] literal (RFC 3502
     * append-message); REPLACE (RFC 8508) reads its message with this too.
     */
    static Message message(CommandContext ctx, ArgReader args) throws ProtocolException, StoreException {
        Set<String> flags = Set.of();
        if (args.peek('(')) {
            flags = flags(args.flagList());
            args.sp();
        }
        Instant date = Instant.now();
        if (args.peek('"')) {
            ZonedDateTime d = args.dateTime();
            date = d.toInstant();
            args.sp();
        }
        // RFC 6855 4: append-data =/ "UTF8" SP "(" literal8 ")", only after ENABLE UTF8=ACCEPT
        boolean utf8 = args.peekKeyword("UTF8");
        if (utf8) {
            if (!ctx.enabled("UTF8=ACCEPT")) {
                throw new ProtocolException("APPEND UTF8 needs ENABLE UTF8=ACCEPT first");
            }
            args.atom();
            args.sp();
            if (!args.skip('(') || !args.peek('~')) {
                throw new ProtocolException("Expected (~{n}) after UTF8");
            }
        }
        int streamed = args.streamedLiteral();
        Message m = streamed >= 0 ? new Message(flags, date, null, ctx.streamedLiteral(streamed))
                : new Message(flags, date, args.stringBytes(), null);
        if (utf8 && !args.skip(')')) {
            throw new ProtocolException("Expected ) after the UTF8 literal");
        }
        return m;
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
