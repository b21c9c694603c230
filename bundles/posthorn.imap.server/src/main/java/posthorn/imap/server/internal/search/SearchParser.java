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
 *
 * <p>The parser, and the {@link Matcher} after it, recurse once a level of OR, NOT and parentheses,
 * so the levels are bounded (imapd.cfg {@code search.max.depth}): a key nested deeper is a
 * {@link TooDeepException} (BAD), whatever the stack could have held. Parentheses count toward the
 * command's list nesting ({@code nesting.max}, {@link ArgReader#listOpen}) as well.
 */
public final class SearchParser {
    /**
     * The default of search.max.depth: far above what clients send (an OR per alternative searched
     * for), far below what a session's stack holds (about 1,100 levels of parentheses over a message
     * nested {@link posthorn.imap.server.internal.mime.MimeLimits#DEEPEST} deep, when measured).
     */
    public static final int DEFAULT_MAX_DEPTH = 100;

    /** The most search.max.depth may be set to; more is taken as this. */
    public static final int DEEPEST = 1_000;

    private final ArgReader args;
    private final Charset charset;
    private final int maxDepth;
    private int depth;

    public SearchParser(ArgReader args, Charset charset) {
        this(args, charset, DEFAULT_MAX_DEPTH);
    }

    /** @param maxDepth the most levels of OR, NOT and parentheses one inside another (1 to {@link #DEEPEST}) */
    public SearchParser(ArgReader args, Charset charset, int maxDepth) {
        this.args = args;
        this.charset = charset;
        this.maxDepth = Math.max(1, Math.min(DEEPEST, maxDepth));
    }

    /** Search keys nested deeper than the parser takes: answered BAD with this text. */
    public static final class TooDeepException extends ProtocolException {
        private static final long serialVersionUID = 1L;

        TooDeepException(int maxDepth) {
            super("Search keys nested too deeply (more than " + maxDepth + " levels of OR, NOT and parentheses)");
        }
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
            enter();
            SearchKey inner = keys();
            args.listClose();
            depth--;
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
            case "BCC", "CC", "FROM", "TO" -> new SearchKey.Address(word, string());
            case "SUBJECT" -> new SearchKey.Header(List.of(word), string());
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
            // RFC 5032 (WITHIN): interval = 1*DIGIT, "Interval in seconds"; 0 is taken as nz-number
            // would have it (RFC 5032 4 writes it as number, Dovecot accepts 0 too)
            case "OLDER" -> new SearchKey.Within(number(), true);
            case "YOUNGER" -> new SearchKey.Within(number(), false);
            case "LARGER" -> new SearchKey.Size(number(), true);
            case "SMALLER" -> new SearchKey.Size(number(), false);
            case "UID" -> {
                args.sp();
                yield set(true);
            }
            // The keys of this session's newer extensions, kept together: RFC 8514 (SAVEDATE) 4.2 and
            // RFC 8474 (OBJECTID) 6. Unknown where the store lacks the part (Matcher: no match).
            case "SAVEDBEFORE" -> new SearchKey.SaveDate(SearchKey.DateOp.BEFORE, date());
            case "SAVEDON" -> new SearchKey.SaveDate(SearchKey.DateOp.ON, date());
            case "SAVEDSINCE" -> new SearchKey.SaveDate(SearchKey.DateOp.SINCE, date());
            case "SAVEDATESUPPORTED" -> new SearchKey.SaveDateSupported();
            case "EMAILID" -> new SearchKey.ObjectId(objectId(), false);
            case "THREADID" -> new SearchKey.ObjectId(objectId(), true);
            case "MODSEQ" -> modSeq(); // RFC 7162 3.1.5
            case "NOT" -> {
                args.sp();
                enter();
                SearchKey k = new SearchKey.Not(key());
                depth--;
                yield k;
            }
            case "OR" -> {
                args.sp();
                enter();
                SearchKey a = key();
                args.sp();
                SearchKey k = new SearchKey.Or(a, key());
                depth--;
                yield k;
            }
            default -> throw new ProtocolException("Unknown search key " + word);
        };
    }

    /** RFC 8474 4: objectid = 1*255(ALPHA / DIGIT / "_" / "-"); anything else is BAD. */
    private String objectId() throws ProtocolException {
        args.sp();
        String id = args.atom();
        if (id.isEmpty() || id.length() > 255 || !id.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            throw new ProtocolException("Invalid object id");
        }
        return id;
    }

    /** One level more of OR, NOT or parentheses; refused beyond {@link #maxDepth}, before recursing. */
    private void enter() throws TooDeepException {
        if (++depth > maxDepth) {
            throw new TooDeepException(maxDepth);
        }
    }

    /** UIDONLY is on (RFC 9586 3): a sequence-set key without UID is refused, BAD [UIDREQUIRED]. */
    public SearchParser uidOnly(boolean on) {
        uidOnly = on;
        return this;
    }

    private boolean uidOnly;

    private SearchKey set(boolean uid) throws ProtocolException {
        if (uidOnly && !uid && !args.peek('$')) {
            throw new ProtocolException("UIDREQUIRED", "Message sequence numbers are not allowed after ENABLE UIDONLY");
        }
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

    /**
     * {@code MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer} (RFC 7162 7): the entry
     * name is a quoted {@code "/flags/..."}, its type priv, shared or all.
     */
    private SearchKey modSeq() throws ProtocolException {
        args.sp();
        if (args.peek('"')) {
            String entry = args.astring();
            if (!entry.toLowerCase(java.util.Locale.ROOT).startsWith("/flags/")) {
                throw new ProtocolException("Unknown MODSEQ entry name " + entry);
            }
            args.sp();
            String type = args.atom().toLowerCase(java.util.Locale.ROOT);
            if (!type.equals("priv") && !type.equals("shared") && !type.equals("all")) {
                throw new ProtocolException("Unknown MODSEQ entry type " + type);
            }
            args.sp();
        }
        return new SearchKey.ModSeq(posthorn.imap.server.internal.command.CondStore.modSeq(args, true));
    }

    private long number() throws ProtocolException {
        args.sp();
        return args.number(false);
    }
}
