package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A mailbox handle that knows modification sequences (RFC 7162 3): every change of a message's flags,
 * every addition and every expunge gets a MODSEQ above all given before in the mailbox, for as long as
 * the UIDVALIDITY stays. Everything here answers for the handle's view, as of its last
 * {@link #sync()}: a MODSEQ the server reports is always that of the flags it reports.
 *
 * <p>Bulk-friendly on purpose: {@link #modSeq(long)} answers a primitive, so FETCH 1:* (MODSEQ) on a
 * big mailbox creates no object per message.
 *
 * @since 1.6.0
 */
@ProviderType
public interface ModSeqMailbox extends Mailbox {

    /** What {@link #highestModSeq()} answers for a mailbox that cannot keep MODSEQs (RFC 7162 3.1.2.2). */
    long NOMODSEQ = 0;

    /**
     * HIGHESTMODSEQ (RFC 7162 3.1.2.1): the highest MODSEQ of the view's messages and of the expunges
     * it has reported; {@link #NOMODSEQ} if this mailbox cannot keep MODSEQs.
     */
    long highestModSeq();

    /** The MODSEQ of a message in the view, or 0 for a UID not in it (or with {@link #NOMODSEQ}). */
    long modSeq(long uid);

    /**
     * The UIDs expunged from the mailbox with a MODSEQ above {@code modSeq}, ascending, as far as the
     * view has been told of them (for VANISHED (EARLIER), RFC 7162 3.2.5.1 and 3.2.6).
     *
     * @return the UIDs; or null if the store no longer knows every expunge since then (it keeps a
     *         bounded number): the server then answers from what the client knows (RFC 7162 3.2.5.1
     *         allows a superset)
     */
    long[] expungedSince(long modSeq) throws StoreException;
}
