package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.search.SortData;
import posthorn.imap.server.internal.search.Threads;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * THREAD and UID THREAD (RFC 5256): the messages that match the search criteria, threaded by
 * ORDEREDSUBJECT or REFERENCES, or REFS as Dovecot does it ({@link Threads#refs}). (Inside this package the name hides java.lang.Thread.)
 */
final class Thread implements Command<SessionState.Selected> {
    private final boolean uid;

    Thread(boolean uid) {
        this.uid = uid;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        String algorithm = args.atom().toUpperCase(Locale.ROOT);
        if (!algorithm.equals("ORDEREDSUBJECT") && !algorithm.equals("REFERENCES") && !algorithm.equals("REFS")) {
            throw new ProtocolException("Unknown threading algorithm " + algorithm);
        }
        args.sp();
        List<SortData> data = Sort.matching(ctx, state, tag, args);
        if (data == null) {
            return;
        }
        List<Threads.Node> roots = switch (algorithm) {
            case "REFERENCES" -> Threads.references(data);
            case "REFS" -> Threads.refs(data);
            default -> Threads.orderedSubject(data);
        };
        ctx.out().untagged().raw("THREAD ");
        Threads.write(roots, uid ? SortData::uid : SortData::seq, ctx.out());
        ctx.out().crlf();
        ctx.completed(tag);
    }
}
