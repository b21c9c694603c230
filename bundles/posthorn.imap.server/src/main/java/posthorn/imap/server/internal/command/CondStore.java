package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.store.api.ModSeqMailbox;
import posthorn.store.api.StoreException;

/**
 * What the commands of RFC 7162 (CONDSTORE, QRESYNC) share: reading a mod-sequence value, turning
 * CONDSTORE on when a command uses it, and refusing where the store keeps no MODSEQs.
 */
public final class CondStore {
    public static final String CONDSTORE = "CONDSTORE";
    public static final String QRESYNC = "QRESYNC";

    private CondStore() {
    }

    /**
     * A mod-sequence-value (RFC 7162 7: 1*DIGIT, at most 2^63-1), or mod-sequence-valzer with
     * {@code zero}. Read as an atom: the codec's numbers are 32-bit.
     */
    public static long modSeq(ArgReader args, boolean zero) throws ProtocolException {
        String s = args.atom();
        if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new ProtocolException("Expected a mod-sequence value, got " + s);
        }
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ProtocolException("Mod-sequence value out of range: " + s);
        }
        if (!zero && v == 0) {
            throw new ProtocolException("Expected a non-zero mod-sequence value");
        }
        return v;
    }

    /** Whether the bound store keeps MODSEQs (CONDSTORE and QRESYNC are announced). */
    public static boolean available(CommandContext ctx) {
        return ctx.capabilities().contains(" " + CONDSTORE);
    }

    /**
     * A CONDSTORE enabling command (RFC 7162 3.1): turns CONDSTORE on for the session, and with a
     * mailbox selected reports its HIGHESTMODSEQ (or NOMODSEQ) the first time, as 3.1 requires before
     * the command completes.
     *
     * @throws ProtocolException if the store keeps no MODSEQs (the capability is not announced)
     */
    public static void enable(CommandContext ctx, SelectedMailbox view) throws ProtocolException, IOException {
        if (!available(ctx)) {
            throw new ProtocolException("CONDSTORE is not supported here");
        }
        if (ctx.enabled(CONDSTORE)) {
            return;
        }
        ctx.enable(CONDSTORE);
        if (view != null) {
            view.condStore(true);
            highestModSeq(ctx, view);
        }
    }

    /** The untagged OK [HIGHESTMODSEQ n] or OK [NOMODSEQ] of the selected mailbox (RFC 7162 3.1.2). */
    public static void highestModSeq(CommandContext ctx, SelectedMailbox view) throws IOException {
        long h = view.highestModSeq();
        if (h == ModSeqMailbox.NOMODSEQ) {
            ctx.out().status(null, Status.OK, "NOMODSEQ", "Sorry, this mailbox format doesn't support modsequences");
        } else {
            ctx.out().status(null, Status.OK, "HIGHESTMODSEQ " + h, "Highest");
        }
    }

    /**
     * Refuses a command that needs MODSEQs in a mailbox that keeps none (RFC 7162 3.1.2.2: STORE
     * UNCHANGEDSINCE, FETCH CHANGEDSINCE and MODSEQ, SEARCH MODSEQ get NO after NOMODSEQ).
     */
    public static void requireModSeqs(SelectedMailbox view) throws StoreException {
        if (view.highestModSeq() == ModSeqMailbox.NOMODSEQ) {
            throw new StoreException(StoreException.Reason.CANNOT, "Mailbox doesn't support mod-sequences");
        }
    }
}
