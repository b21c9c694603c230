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
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.search.SearchKey;
import posthorn.imap.server.internal.search.SortData;
import posthorn.store.api.StoreException;

/**
 * SORT and UID SORT (RFC 5256): the messages that match the search criteria, sorted (ARRIVAL CC
 * DATE FROM REVERSE SIZE SUBJECT TO; ties by sequence number).
 */
final class Sort implements Command<SessionState.Selected> {
    private final boolean uid;

    Sort(boolean uid) {
        this.uid = uid;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        Comparator<SortData> order = criteria(args);
        args.sp();
        List<SortData> data = matching(ctx, state, tag, args);
        if (data == null) {
            return;
        }
        data.sort(order.thenComparingInt(SortData::seq));
        ctx.out().untagged().raw("SORT");
        for (SortData d : data) {
            ctx.out().sp().number(uid ? d.uid() : d.seq());
        }
        ctx.out().crlf();
        ctx.completed(tag);
    }

    /**
     * What SORT and THREAD share after their first argument: the charset and the search criteria,
     * and the header data of the matching messages. Null if the charset is unknown, which has been
     * answered NO [BADCHARSET].
     */
    static List<SortData> matching(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        Charset charset = Search.charset(args.astring());
        if (charset == null) {
            ctx.out().status(tag, Status.NO, Search.BADCHARSET, "Unsupported charset");
            return null;
        }
        args.sp();
        SearchKey key = Search.keys(ctx, args, charset);
        args.end();
        SelectedMailbox view = state.mailbox();
        List<SortData> data = new ArrayList<>();
        for (int seq : Search.matching(ctx, view, key)) {
            SortData d = SortData.read(view, seq);
            if (d != null) {
                data.add(d);
            }
        }
        return data;
    }

    /**
     * i;ascii-casemap (RFC 4790 9.2), the collation RFC 5256 sorts strings by: a-z compare as A-Z, all
     * else by its code, so "[" and "_" come after the letters. The keys arrive case-folded to lower case.
     */
    static final Comparator<String> ASCII_CASEMAP = (a, b) -> {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            int d = upper(a.charAt(i)) - upper(b.charAt(i));
            if (d != 0) {
                return d;
            }
        }
        return a.length() - b.length();
    };

    private static char upper(char c) {
        return c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c;
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
                case "CC" -> Comparator.comparing(SortData::cc, ASCII_CASEMAP);
                case "DATE" -> Comparator.comparingLong(SortData::sent);
                case "FROM" -> Comparator.comparing(SortData::from, ASCII_CASEMAP);
                case "SIZE" -> Comparator.comparingLong(SortData::size);
                case "SUBJECT" -> Comparator.comparing(SortData::subject, ASCII_CASEMAP);
                case "TO" -> Comparator.comparing(SortData::to, ASCII_CASEMAP);
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
