package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.acl.GuardedMailbox;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.search.Matcher;
import posthorn.imap.server.internal.search.SearchKey;
import posthorn.imap.server.internal.search.SearchParser;
import posthorn.imap.server.internal.search.TextTerms;
import posthorn.store.api.StoreException;
import posthorn.store.api.search.TextTerm;

/**
 * SEARCH and UID SEARCH (RFC 3501 6.4.4, 6.4.8) with ESEARCH results (RFC 4731) when the client asks
 * with RETURN (...) or has enabled IMAP4rev2, SAVE (RFC 5182) keeping the result as "$" for later
 * commands, PARTIAL (RFC 9394, RFC 5267 4.4) and UPDATE contexts (CONTEXT=SEARCH, RFC 5267 4.2; see
 * {@link SearchReturn} and {@link UpdateContext}). CHARSET may be any charset Java knows; UTF-8 and
 * US-ASCII always work; an unknown one gets NO [BADCHARSET].
 */
final class Search implements Command<SessionState.Selected> {
    private final boolean uid;
    static final String BADCHARSET = "BADCHARSET (UTF-8 US-ASCII)";

    Search(boolean uid) {
        this.uid = uid;
    }

    @Override
    public void execute(CommandContext ctx, SessionState.Selected state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        SearchReturn returns = null;
        if (args.peekKeyword("RETURN")) {
            args.atom();
            args.sp();
            returns = SearchReturn.parse(args);
            args.sp();
        }
        SelectedMailbox view = state.mailbox();
        boolean save = returns != null && returns.has("SAVE");
        // r is checked once for the messages this command reads, not once a message
        try (GuardedMailbox.Held rights = GuardedMailbox.hold(view.store())) {
            if (!run(ctx, tag, args, view, returns)) {
                if (save) {
                    view.saveResult(List.of());
                }
            }
        } catch (ProtocolException | StoreException | RuntimeException e) {
            // RFC 5182 2.1: a SEARCH with SAVE that fails leaves "$" empty.
            if (save) {
                view.saveResult(List.of());
            }
            throw e;
        }
    }

    /** The search after RETURN; false if it was answered NO without searching (BADCHARSET). */
    private boolean run(CommandContext ctx, String tag, ArgReader args, SelectedMailbox view, SearchReturn returns)
            throws ProtocolException, IOException, StoreException {
        if (returns != null && returns.has("UPDATE") && view.watcher(tag) != null) {
            // RFC 5267 4.2: the tag names the context, so it must be unique among them (Dovecot: BAD)
            throw new ProtocolException("Duplicate search update tag " + tag);
        }
        Charset charset = StandardCharsets.UTF_8;
        if (args.peekKeyword("CHARSET")) {
            if (ctx.enabled("UTF8=ACCEPT")) {
                // RFC 6855 3 (erratum 4029): the charset label conflicts with UTF-8 strings
                throw new ProtocolException("SEARCH CHARSET is not allowed after ENABLE UTF8=ACCEPT");
            }
            args.atom();
            args.sp();
            charset = charset(args.astring());
            if (charset == null) {
                ctx.out().status(tag, Status.NO, BADCHARSET, "Unsupported charset");
                return false;
            }
            args.sp();
        }
        SearchKey key = keys(ctx, args, charset);
        args.end();
        boolean modSeq = SearchKey.usesModSeq(key);
        if (modSeq) {
            CondStore.enable(ctx, view); // RFC 7162 3.1: a CONDSTORE enabling command
            CondStore.requireModSeqs(view);
        }
        List<Integer> seqs = matching(ctx, view, key);
        // RFC 7162 3.1.5: with MODSEQ in the keys, the highest MODSEQ of the messages found
        long highest = 0;
        if (modSeq) {
            for (int seq : seqs) {
                highest = Math.max(highest, view.modSeq(view.uidAt(seq)));
            }
        }
        List<Long> result = new ArrayList<>(seqs.size());
        for (int seq : seqs) {
            result.add(uid ? view.uidAt(seq) : seq);
        }
        if (returns != null && returns.has("SAVE")) {
            List<Long> uids = new ArrayList<>(seqs.size());
            for (int seq : seqs) {
                uids.add(view.uidAt(seq));
            }
            view.saveResult(saved(returns, uids));
        }
        if (returns == null && ctx.rev2()) {
            returns = new SearchReturn(Set.of("ALL"), null);
        }
        ResponseWriter out = ctx.out();
        if (returns == null) {
            out.untagged().raw("SEARCH");
            for (long n : result) {
                out.sp().number(n);
            }
            if (highest > 0) {
                out.raw(" (MODSEQ ").number(highest).raw(")");
            }
            out.crlf();
        } else if (returns.answers() || returns.has("UPDATE")) {
            // RFC 5182 2.1: SAVE alone gives no ESEARCH response; UPDATE alone an empty one (Dovecot)
            returns.esearch(out, tag, uid, result, false, highest);
        }
        if (returns != null && returns.has("UPDATE")) {
            long[] uids = new long[seqs.size()];
            for (int i = 0; i < uids.length; i++) {
                uids[i] = view.uidAt(seqs.get(i));
            }
            startUpdates(ctx, view, tag, uid, key, null, uids);
        }
        ctx.completed(tag);
        return true;
    }

    /**
     * Opens a RETURN (UPDATE) context (RFC 5267 4.2) for the result {@code uids} (ascending for SEARCH,
     * sorted for SORT), or, beyond imapd.cfg search.update.max contexts, says it will not:
     * {@code * NO [NOUPDATE "tag"]} (RFC 5267 4.2), the result itself being answered as asked.
     */
    static void startUpdates(CommandContext ctx, SelectedMailbox view, String tag, boolean uid, SearchKey key,
                             List<Sort.Criterion> sort, long[] uids) throws IOException {
        int max = ctx.searchUpdateMax();
        if (view.watching() >= max) {
            ctx.out().untagged().raw("NO [NOUPDATE ").string(tag).raw("] Too many update contexts (at most ")
                    .number(max).raw(", search.update.max)").crlf();
            ctx.log().info("s{} {}: refused an UPDATE context, {} open (search.update.max)", ctx.id(), ctx.command(),
                    view.watching());
            return;
        }
        view.watch(new UpdateContext(tag, uid, key, sort, ctx.mimeLimits(), ctx.readAheadBytes(), uids));
    }

    /**
     * The UIDs SAVE keeps of a result in its order. With ALL or COUNT, every match (RFC 9394 3.2: with
     * COUNT "the "$" marker would always contain references to all messages found"). Otherwise with
     * PARTIAL, the window's messages "together with the corresponding MIN/MAX message" when MIN or
     * MAX is asked (RFC 9394 3.2, Table 1); without PARTIAL, MIN and/or MAX alone keep only those
     * messages (RFC 5182 2.1); no option but SAVE keeps every match.
     */
    static List<Long> saved(SearchReturn returns, List<Long> uids) {
        boolean whole = returns.has("ALL") || returns.has("COUNT");
        boolean min = returns.has("MIN");
        boolean max = returns.has("MAX");
        if (whole || uids.isEmpty() || (returns.partial() == null && !min && !max)) {
            return uids;
        }
        int from = 0;
        int to = 0;
        if (returns.partial() != null) {
            int[] w = returns.partial().window(uids.size());
            from = w[0];
            to = w[1];
        }
        int last = uids.size() - 1;
        List<Long> out = new ArrayList<>();
        if (min && !(from <= 0 && 0 < to)) {
            out.add(uids.get(0));
        }
        out.addAll(uids.subList(from, to));
        if (max && !(from <= last && last < to) && !(min && last == 0)) {
            out.add(uids.get(last));
        }
        return out;
    }

    /**
     * The search keys of SEARCH, SORT and THREAD, nested at most search.max.depth levels (deeper is
     * a ProtocolException, so BAD, which the session logs).
     */
    static SearchKey keys(CommandContext ctx, ArgReader args, Charset charset) throws ProtocolException {
        return new SearchParser(args, charset, ctx.searchMaxDepth()).uidOnly(ctx.enabled("UIDONLY")).keys();
    }

    /**
     * The sequence numbers of the messages that match, their structure followed as far as mime.max.*
     * let it. The key's text conditions are first put to the full-text index, if one is bound: only its
     * candidates are read and checked, each as without an index, so the answer is the same.
     */
    static List<Integer> matching(CommandContext ctx, SelectedMailbox view, SearchKey key)
            throws IOException, StoreException {
        int[] seqs = matchingSeqs(ctx, view, key);
        List<Integer> out = new ArrayList<>(seqs.length);
        for (int seq : seqs) {
            out.add(seq);
        }
        return out;
    }

    /** As {@link #matching}, as an array (ascending), for SORT and THREAD. */
    static int[] matchingSeqs(CommandContext ctx, SelectedMailbox view, SearchKey key)
            throws IOException, StoreException {
        MimeCuts cuts = new MimeCuts(ctx.mimeLimits());
        List<TextTerm> terms = TextTerms.of(key);
        LongPredicate candidates = terms.isEmpty() ? null : ctx.textCandidates(view, terms);
        try {
            return new Matcher(view, key, cuts, candidates).matchingSeqs(ctx::progress);
        } finally {
            ctx.logCuts(cuts);
            if (candidates instanceof AutoCloseable reading) {
                // TextIndex: the index holds its background work back while its candidates are read
                try {
                    reading.close();
                } catch (Exception e) {
                    ctx.log().warn("s{} event=fts.close.failed reason=\"{}\"", ctx.id(), e.toString());
                }
            }
        }
    }

    /** The charset of that name, or null if Java has none (then NO [BADCHARSET]). */
    static Charset charset(String name) {
        try {
            return Charset.forName(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
