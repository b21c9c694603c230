package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.LongPredicate;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.protocol.SequenceSet;
import posthorn.imap.protocol.Status;
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
 * with RETURN (...) or has enabled IMAP4rev2, and SAVE (RFC 5182) keeping the result as "$" for later
 * commands. CHARSET may be any charset Java knows; UTF-8 and
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
        Set<String> returns = null;
        if (args.peekKeyword("RETURN")) {
            args.atom();
            args.sp();
            returns = returnOptions(args);
            args.sp();
        }
        SelectedMailbox view = state.mailbox();
        boolean save = returns != null && returns.contains("SAVE");
        try {
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
    private boolean run(CommandContext ctx, String tag, ArgReader args, SelectedMailbox view, Set<String> returns)
            throws ProtocolException, IOException, StoreException {
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
        if (returns != null && returns.contains("SAVE")) {
            view.saveResult(saved(view, seqs, returns));
        }
        if (returns == null && ctx.rev2()) {
            returns = Set.of("ALL");
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
        } else if (!returns.equals(Set.of("SAVE"))) {
            // RFC 5182 2.1: SAVE alone gives no ESEARCH response.
            esearch(out, tag, uid, returns, result, highest);
        }
        ctx.completed(tag);
        return true;
    }

    /**
     * The UIDs SAVE keeps (RFC 5182 2.1): with MIN and/or MAX but neither ALL nor COUNT, only those
     * messages; otherwise every match.
     */
    static List<Long> saved(SelectedMailbox view, List<Integer> seqs, Set<String> returns) {
        boolean minMaxOnly = (returns.contains("MIN") || returns.contains("MAX"))
                && !returns.contains("ALL") && !returns.contains("COUNT");
        List<Long> uids = new ArrayList<>();
        if (minMaxOnly && !seqs.isEmpty()) {
            if (returns.contains("MIN")) {
                uids.add(view.uidAt(seqs.get(0)));
            }
            if (returns.contains("MAX") && (uids.isEmpty() || seqs.size() > 1)) {
                uids.add(view.uidAt(seqs.get(seqs.size() - 1)));
            }
            return uids;
        }
        for (int seq : seqs) {
            uids.add(view.uidAt(seq));
        }
        return uids;
    }

    /** RETURN (MIN MAX ALL COUNT SAVE); "()" means ALL (RFC 4731 3.1, RFC 5182 2.1). */
    static Set<String> returnOptions(ArgReader args) throws ProtocolException {
        Set<String> opts = new LinkedHashSet<>();
        args.listOpen();
        while (!args.peek(')')) {
            if (!opts.isEmpty()) {
                args.sp();
            }
            String o = args.atom().toUpperCase(Locale.ROOT);
            if (!Set.of("MIN", "MAX", "ALL", "COUNT", "SAVE").contains(o)) {
                throw new ProtocolException("Unknown search return option " + o);
            }
            opts.add(o);
        }
        args.listClose();
        return opts.isEmpty() ? Set.of("ALL") : opts;
    }

    static void esearch(ResponseWriter out, String tag, boolean uid, Set<String> returns, List<Long> result)
            throws IOException {
        esearch(out, tag, uid, returns, result, 0);
    }

    /** As above; {@code modSeq} above 0 is the MODSEQ return data (RFC 7162 3.1.5, RFC 4731). */
    static void esearch(ResponseWriter out, String tag, boolean uid, Set<String> returns, List<Long> result,
                        long modSeq) throws IOException {
        out.untagged().raw("ESEARCH (TAG ").string(tag).raw(")");
        if (uid) {
            out.raw(" UID");
        }
        if (!result.isEmpty()) {
            if (returns.contains("MIN")) {
                out.raw(" MIN ").number(result.get(0));
            }
            if (returns.contains("MAX")) {
                out.raw(" MAX ").number(result.get(result.size() - 1));
            }
            if (returns.contains("ALL")) {
                out.raw(" ALL ").raw(SequenceSet.ofNumbers(result.stream().mapToLong(Long::longValue).toArray())
                        .toString());
            }
        }
        if (returns.contains("COUNT")) {
            out.raw(" COUNT ").number(result.size());
        }
        if (modSeq > 0) {
            out.raw(" MODSEQ ").number(modSeq);
        }
        out.crlf();
    }

    /**
     * The search keys of SEARCH, SORT and THREAD, nested at most search.max.depth levels (deeper is
     * a ProtocolException, so BAD, which the session logs).
     */
    static SearchKey keys(CommandContext ctx, ArgReader args, Charset charset) throws ProtocolException {
        return new SearchParser(args, charset, ctx.searchMaxDepth()).keys();
    }

    /**
     * The sequence numbers of the messages that match, their structure followed as far as mime.max.*
     * let it. The key's text conditions are first put to the full-text index, if one is bound: only its
     * candidates are read and checked, each as without an index, so the answer is the same.
     */
    static List<Integer> matching(CommandContext ctx, SelectedMailbox view, SearchKey key)
            throws IOException, StoreException {
        MimeCuts cuts = new MimeCuts(ctx.mimeLimits());
        List<TextTerm> terms = TextTerms.of(key);
        LongPredicate candidates = terms.isEmpty() ? null : ctx.textCandidates(view, terms);
        try {
            return new Matcher(view, key, cuts, candidates).matching(ctx::progress);
        } finally {
            ctx.logCuts(cuts);
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
