package posthorn.imap.server.internal.search;

import java.nio.charset.Charset;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.store.api.Flags;

/**
 * Parses search keys (RFC 3501 9: search-key), as SEARCH, SORT and THREAD take them: keys separated
 * by SP are ANDed, parenthesised lists group. Strings are decoded with the CHARSET the client named.
 * Malformed keys are a {@link ProtocolException} naming what was wrong.
 */
public final class SearchParser {
    private final ArgReader args;
    private final Charset charset;

    public SearchParser(ArgReader args, Charset charset) {
        this.args = args;
        this.charset = charset;
    }

    /** One or more keys up to the end of the line (or a ')' closing an enclosing list). */
    public SearchKey keys() throws ProtocolException {
        List<SearchKey> keys = new ArrayList<>();
        keys.add(key());
        while (!args.atEnd() && !args.peek(')')) {
            args.sp();
            keys.add(key());
        }
        return keys.size() == 1 ? keys.get(0) : new SearchKey.And(keys);
    }

    public SearchKey key() throws ProtocolException {
        if (args.atEnd()) {
            throw new ProtocolException("Missing search key");
        }
        if (args.peek('(')) {
            args.listOpen();
            SearchKey inner = keys();
            args.listClose();
            return inner;
        }
        if (args.peek('*') || args.peek('$') || (peekDigit())) {
            return set(false);
        }
        String word = args.atom().toUpperCase(Locale.ROOT);
        return switch (word) {
            case "ALL" -> new SearchKey.All();
            case "ANSWERED" -> new SearchKey.Flag(Flags.ANSWERED, true);
            case "DELETED" -> new SearchKey.Flag(Flags.DELETED, true);
            case "DRAFT" -> new SearchKey.Flag(Flags.DRAFT, true);
            case "FLAGGED" -> new SearchKey.Flag(Flags.FLAGGED, true);
            case "SEEN" -> new SearchKey.Flag(Flags.SEEN, true);
            case "UNANSWERED" -> new SearchKey.Flag(Flags.ANSWERED, false);
            case "UNDELETED" -> new SearchKey.Flag(Flags.DELETED, false);
            case "UNDRAFT" -> new SearchKey.Flag(Flags.DRAFT, false);
            case "UNFLAGGED" -> new SearchKey.Flag(Flags.FLAGGED, false);
            case "UNSEEN" -> new SearchKey.Flag(Flags.SEEN, false);
            case "KEYWORD" -> new SearchKey.Flag(keyword(), true);
            case "UNKEYWORD" -> new SearchKey.Flag(keyword(), false);
            case "RECENT" -> new SearchKey.Recent(true);
            case "OLD" -> new SearchKey.Recent(false);
            case "NEW" -> new SearchKey.New();
            case "BCC", "CC", "FROM", "SUBJECT", "TO" -> new SearchKey.Header(List.of(word), string());
            case "HEADER" -> {
                args.sp();
                String name = args.astring();
                String text = stringAfterSp();
                yield new SearchKey.Header(List.of(name), text);
            }
            case "BODY" -> new SearchKey.Text(string(), false);
            case "TEXT" -> new SearchKey.Text(string(), true);
            case "BEFORE" -> new SearchKey.Date(SearchKey.DateOp.BEFORE, date(), false);
            case "ON" -> new SearchKey.Date(SearchKey.DateOp.ON, date(), false);
            case "SINCE" -> new SearchKey.Date(SearchKey.DateOp.SINCE, date(), false);
            case "SENTBEFORE" -> new SearchKey.Date(SearchKey.DateOp.BEFORE, date(), true);
            case "SENTON" -> new SearchKey.Date(SearchKey.DateOp.ON, date(), true);
            case "SENTSINCE" -> new SearchKey.Date(SearchKey.DateOp.SINCE, date(), true);
            case "LARGER" -> new SearchKey.Size(number(), true);
            case "SMALLER" -> new SearchKey.Size(number(), false);
            case "UID" -> {
                args.sp();
                yield set(true);
            }
            case "NOT" -> {
                args.sp();
                yield new SearchKey.Not(key());
            }
            case "OR" -> {
                args.sp();
                SearchKey a = key();
                args.sp();
                yield new SearchKey.Or(a, key());
            }
            default -> throw new ProtocolException("Unknown search key " + word);
        };
    }

    private SearchKey set(boolean uid) throws ProtocolException {
        // "$" (RFC 5182) is the saved result, the same messages after UID or without it.
        return new SearchKey.Set(args.sequenceSet(), uid);
    }

    private boolean peekDigit() {
        for (char c = '0'; c <= '9'; c++) {
            if (args.peek(c)) {
                return true;
            }
        }
        return false;
    }

    private String keyword() throws ProtocolException {
        args.sp();
        String k = args.atom();
        return Flags.canonical(k);
    }

    private String string() throws ProtocolException {
        return stringAfterSp();
    }

    private String stringAfterSp() throws ProtocolException {
        args.sp();
        if (args.peek('"') || args.peek('{') || args.peek('~')) {
            return new String(args.stringBytes(), charset);
        }
        return args.astring();
    }

    private LocalDate date() throws ProtocolException {
        args.sp();
        return args.date();
    }

    private long number() throws ProtocolException {
        args.sp();
        return args.number(false);
    }
}
