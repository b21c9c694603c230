package posthorn.imap.server.internal;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import posthorn.store.api.AclMail;
import posthorn.store.api.AclStore;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * A mail store in memory, for the server's tests: the contract of posthorn.store.api as the Maildir
 * store keeps it, without a file system. It shows the names the Maildir store shows (INBOX and
 * names with no namespace prefix, '.' between levels, a level without a mailbox listed as \Noselect, the
 * special-use names of Courier's folders), so that a transcript reads the same on either. Each
 * user's mail lives as long as the store. Thread-safe.
 */
public final class MemoryStore implements AclStore, posthorn.store.api.ModSeqStore {
    private final Map<String, MemoryAccount> accounts = new ConcurrentHashMap<>();
    /** Where uploads are written while messages arrive. */
    private volatile Path uploads = Path.of(System.getProperty("java.io.tmpdir"), "posthorn-memory-uploads");

    @Override
    public AclMail open(StoreUser user) {
        return new MemoryUserMail(account(user.name()), uploads);
    }

    /** Only accounts that exist already (one that logged in, or had mail delivered or made). */
    @Override
    public AclMail openShared(StoreUser user) throws posthorn.store.api.StoreException {
        MemoryAccount a = accounts.get(user.name());
        if (a == null) {
            throw new posthorn.store.api.StoreException(posthorn.store.api.StoreException.Reason.NONEXISTENT,
                    "No mail for " + user.name());
        }
        return new MemoryUserMail(a, uploads);
    }

    /** Uploads ({@link UserMail#upload()}) go into this directory from now on. */
    public MemoryStore uploadsIn(Path dir) {
        this.uploads = dir;
        return this;
    }

    /**
     * Limits what the user's mailboxes may hold together, in bytes: an append beyond it fails with
     * OVERQUOTA, as the Maildir store's maildirsize quota does.
     */
    public MemoryStore quota(String user, long bytes) {
        account(user).quotaBytes = bytes;
        return this;
    }

    /**
     * Reports the user's message sizes as {@link posthorn.store.api.MessageMeta#UNKNOWN_SIZE} until
     * {@link posthorn.store.api.Mailbox#sizes} is asked, as the Maildir store does for files without
     * W= (store.api 1.5); every measurement is counted in {@link #sizesMeasured}.
     */
    /** The user's mailboxes answer NOMODSEQ (RFC 7162 3.1.2.2), as a Maildir folder whose file cannot be written. */
    public MemoryStore noModSeq(String user) {
        account(user).noModSeq = true;
        return this;
    }

    public MemoryStore lazySizes(String user) {
        account(user).lazySizes = true;
        return this;
    }

    /** How many sizes the user's mailboxes measured through {@link posthorn.store.api.Mailbox#sizes}. */
    public long sizesMeasured(String user) {
        return account(user).sizesMeasured.get();
    }

    /**
     * Delivers a message to the user's INBOX from outside, as an MDA does: no flags, arrived now,
     * \Recent for the first read-write handle that syncs after it. Bare LFs are served as CRLF, as
     * the Maildir store serves its files.
     */
    public long deliver(String user, byte[] message) {
        return account(user).inbox().add(message, Set.of(), Instant.now());
    }

    private MemoryAccount account(String user) {
        return accounts.computeIfAbsent(user, u -> new MemoryAccount());
    }
}
