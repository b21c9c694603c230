package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.search.Matcher;
import posthorn.imap.server.internal.search.SearchKey;
import posthorn.imap.server.internal.search.SearchParser;
import posthorn.imap.server.internal.search.SortData;
import posthorn.imap.server.internal.search.Threads;
import posthorn.store.api.StoreException;

/**
 * SORT and THREAD with their UID forms (RFC 5256): the messages that match the search criteria,
 * sorted (ARRIVAL CC DATE FROM REVERSE SIZE SUBJECT TO; ties by sequence number) or threaded
 * (ORDEREDSUBJECT, REFERENCES).
 */
final class Sort extends MessageCommand {
    private final boolean thread;

    Sort(boolean thread, boolean uid) {
        super(thread ? "THREAD" : "SORT", uid);
        this.thread = thread;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException, StoreException {
        args.sp();
        Comparator<SortData> order = null;
        String algorithm = null;
        if (thread) {
            algorithm = args.atom().toUpperCase(Locale.ROOT);
            if (!algorithm.equals("ORDEREDSUBJECT") && !algorithm.equals("REFERENCES")) {
                throw new ProtocolException("Unknown threading algorithm " + algorithm);
            }
        } else {
            order = criteria(args);
        }
        args.sp();
        Charset charset = Search.charset(args.astring());
        if (charset == null) {
            session.out().status(tag, Status.NO, Search.BADCHARSET, "Unsupported charset");
            return;
        }
        args.sp();
        SearchKey key = new SearchParser(args, charset).keys();
        args.end();
        SelectedMailbox view = ((SessionState.Selected) session.state()).mailbox();
        List<SortData> data = new ArrayList<>();
        for (int seq : new Matcher(view, key).matching()) {
            SortData d = SortData.read(view, seq);
            if (d != null) {
                data.add(d);
            }
        }
        if (thread) {
            List<Threads.Node> roots = algorithm.equals("REFERENCES") ? Threads.references(data)
                    : Threads.orderedSubject(data);
            session.out().untagged().raw("THREAD ")
                    .raw(Threads.format(roots, d -> uid ? d.uid() : d.seq())).crlf();
        } else {
            data.sort(order.thenComparingInt(SortData::seq));
            session.out().untagged().raw("SORT");
            for (SortData d : data) {
                session.out().sp().number(uid ? d.uid() : d.seq());
            }
            session.out().crlf();
        }
        session.ok(tag, null, name() + " completed");
    }

    /** The sort criteria list (RFC 5256 3: sort-criteria). */
    static Comparator<SortData> criteria(ArgReader args) throws ProtocolException {
        args.listOpen();
        Comparator<SortData> all = null;
        boolean reverse = false;
        boolean first = true;
        while (!args.peek(')')) {
            if (!first) {
                args.sp();
            }
            first = false;
            String word = args.atom().toUpperCase(Locale.ROOT);
            if (word.equals("REVERSE")) {
                if (reverse) {
                    throw new ProtocolException("REVERSE twice");
                }
                reverse = true;
                continue;
            }
            Comparator<SortData> c = switch (word) {
                case "ARRIVAL" -> Comparator.comparingLong(SortData::arrival);
                case "CC" -> Comparator.comparing(SortData::cc);
                case "DATE" -> Comparator.comparingLong(SortData::sent);
                case "FROM" -> Comparator.comparing(SortData::from);
                case "SIZE" -> Comparator.comparingLong(SortData::size);
                case "SUBJECT" -> Comparator.comparing(SortData::subject);
                case "TO" -> Comparator.comparing(SortData::to);
                default -> throw new ProtocolException("Unknown sort key " + word);
            };
            if (reverse) {
                c = c.reversed();
                reverse = false;
            }
            all = all == null ? c : all.thenComparing(c);
        }
        args.listClose();
        if (all == null || reverse) {
            throw new ProtocolException(all == null ? "Empty sort criteria" : "REVERSE without a sort key");
        }
        return all;
    }
}
