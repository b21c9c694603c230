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
import posthorn.store.api.StoreException;

/**
 * APPEND (RFC 3501 6.3.11) with MULTIAPPEND (RFC 3502: all messages or none) and the APPENDUID
 * response code (RFC 4315). The message arrives as a literal that the receiver has checked against
 * literal.max before the client sent it.
 */
final class Append implements Command<SessionState.LoggedIn> {

    private record Message(Set<String> flags, Instant date, byte[] text) {
    }

    @Override
    public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String name = ctx.names().argument(args);
        List<Message> messages = new ArrayList<>();
        while (args.skip(' ')) {
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
            byte[] text = args.stringBytes();
            if (text.length == 0) {
                throw new ProtocolException("Empty message");
            }
            messages.add(new Message(flags, date, text));
        }
        args.end();
        if (messages.isEmpty()) {
            throw new ProtocolException("Expected a message literal");
        }
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
                    throw new StoreException(StoreException.Reason.TRYCREATE, "Mailbox does not exist: " + name);
                }
                throw e;
            }
        }
        List<Long> uids = new ArrayList<>();
        try {
            try {
                for (Message m : messages) {
                    uids.add(box.append(new ByteArrayInputStream(m.text()), m.flags(), m.date()));
                }
            } catch (StoreException | IOException | RuntimeException e) {
                // RFC 3502: a MULTIAPPEND that fails leaves none of its messages behind.
                if (!uids.isEmpty()) {
                    box.store(uids, FlagMode.ADD, Set.of(Flags.DELETED));
                    box.expunge(uids);
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
