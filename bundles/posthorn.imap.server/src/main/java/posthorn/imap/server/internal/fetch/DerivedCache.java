package posthorn.imap.server.internal.fetch;

import java.io.IOException;
import java.io.InputStream;

import posthorn.imap.server.internal.mime.Header;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.mime.MimePart;
import posthorn.imap.server.internal.mime.Structure;
import posthorn.imap.server.internal.search.SortKeys;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;

/**
 * Values derived from a message (ENVELOPE, BODYSTRUCTURE, SORT and THREAD keys) kept in the store's
 * cache (store.api 1.1 {@link Mailbox#cached}/{@link Mailbox#cache}), so that a message is parsed once, not
 * once per command. ENVELOPE and BODYSTRUCTURE are the exact bytes that go into responses; the sort keys
 * are a {@link SortKeys} record. BODY and BODYSTRUCTURE depend on the {@link MimeLimits} too: under
 * limits other than the defaults they are kept under a field of their own ({@link #structureField}), so a
 * changed setting never serves a stale value.
 *
 * <p>Opening and reading the file is what a cold value costs most, so one read serves several values:
 * the header read for the sort keys (the first SORT or THREAD) gives the ENVELOPE too, and the text read
 * for BODYSTRUCTURE gives the ENVELOPE too. The sort keys are not derived on a FETCH: measured on the
 * benchmark's mailbox they cost more CPU than the ENVELOPE itself (base subject, dates, decoded display
 * names), which a cold FETCH ENVELOPE would pay for a SORT that may never come; a first SORT pays one
 * header read per message instead, once.
 */
public final class DerivedCache {
    public static final String ENVELOPE = "imap.envelope";
    public static final String BODYSTRUCTURE = "imap.bodystructure";
    public static final String BODY = "imap.body";
    /** The {@link SortKeys} record; its first byte is the record's version. */
    public static final String SORTKEYS = "imap.sortkeys";

    private DerivedCache() {
    }

    /** The field for BODY or BODYSTRUCTURE ({@code base}) as parsed under {@code limits}. */
    public static String structureField(String base, MimeLimits limits) {
        return limits.equals(MimeLimits.DEFAULTS) ? base
                : base + "." + limits.maxDepth() + "." + limits.maxParts();
    }

    public static byte[] get(Mailbox box, long uid, String field) {
        return box.cached(uid, field);
    }

    public static void put(Mailbox box, long uid, String field, byte[] value) {
        box.cache(uid, field, value);
    }

    /**
     * The message's {@link SortKeys} record: the cached one if it is {@link SortKeys#valid valid}, else
     * derived from the message's header (read once, bounded by the header's end) and cached, with the
     * ENVELOPE beside it if that was missing too. Null if the message was expunged meanwhile.
     */
    public static byte[] sortKeys(Mailbox box, MessageMeta meta) throws IOException, StoreException {
        long uid = meta.uid();
        byte[] rec = box.cached(uid, SORTKEYS);
        if (SortKeys.valid(rec)) {
            return rec;
        }
        byte[] header;
        try (InputStream in = box.openMessage(uid)) {
            header = MimePart.readHeader(in);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.EXPUNGEISSUED) {
                return null;
            }
            throw e;
        }
        Header h = MimePart.parseHeader(header, header.length);
        Structure.Addresses a = Structure.Addresses.of(h);
        rec = SortKeys.of(meta, h, a).encode();
        box.cache(uid, SORTKEYS, rec);
        if (box.cached(uid, ENVELOPE) == null) {
            box.cache(uid, ENVELOPE, Structure.envelope(h, a));
        }
        return rec;
    }

    /** The ENVELOPE of a message whose header has been read, derived and cached. */
    public static byte[] envelope(Mailbox box, MessageMeta meta, Header h) {
        byte[] envelope = Structure.envelope(h);
        box.cache(meta.uid(), ENVELOPE, envelope);
        return envelope;
    }

    /** After a message was read for another derived value (BODYSTRUCTURE): its ENVELOPE, if not cached yet. */
    public static void completeHeaderValues(Mailbox box, MessageMeta meta, Header h) {
        if (box.cached(meta.uid(), ENVELOPE) == null) {
            envelope(box, meta, h);
        }
    }
}
