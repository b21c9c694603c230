package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link MailStore} that keeps a modification sequence per message (RFC 7162 CONDSTORE and QRESYNC)
 * implements this too; the server checks for it and announces CONDSTORE and QRESYNC only then. Every
 * {@link Mailbox} such a store opens is a {@link ModSeqMailbox} (which may still answer
 * {@link ModSeqMailbox#NOMODSEQ} for a folder that cannot keep them). Thread-safe.
 *
 * @since 1.6.0
 */
@ProviderType
public interface ModSeqStore extends MailStore {
}
