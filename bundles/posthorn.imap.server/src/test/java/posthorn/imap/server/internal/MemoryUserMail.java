package posthorn.imap.server.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import posthorn.store.api.Mailbox;
import posthorn.store.api.MailboxInfo;
import posthorn.store.api.MailboxStatus;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.Quota;
import posthorn.store.api.StoreException;
import posthorn.store.api.StoreException.Reason;
import posthorn.store.api.AclEntry;
import posthorn.store.api.AclMail;

/** One session's hold on a user's mail in a {@link MemoryStore}; closing it closes its mailboxes. */
final class MemoryUserMail implements AclMail {
    private final MemoryAccount account;
    private final Path uploads;
    private final Set<MemoryMailbox> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    MemoryUserMail(MemoryAccount account, Path uploads) {
        this.account = account;
        this.uploads = uploads;
    }

    MemoryAccount account() {
        return account;
    }

    @Override
    public List<AclEntry> acl(String name) throws StoreException {
        checkOpen();
        return account.acl(name);
    }

    @Override
    public void setAcl(String name, String identifier, String rights) throws StoreException {
        checkOpen();
        if (identifier.isEmpty() || identifier.chars().anyMatch(c -> c <= ' ')) {
            throw new StoreException(Reason.CANNOT, "Identifier not allowed in an ACL");
        }
        account.setAcl(name, identifier, rights);
    }

    @Override
    public char separator() {
        return MemoryAccount.SEPARATOR;
    }

    @Override
    public List<MailboxInfo> list() throws StoreException {
        checkOpen();
        return account.list();
    }

    @Override
    public List<String> subscriptions() throws StoreException {
        checkOpen();
        return account.subscriptions();
    }

    @Override
    public void subscribe(String name, boolean subscribed) throws StoreException {
        checkOpen();
        account.subscribe(name, subscribed);
    }

    @Override
    public Mailbox open(String name, boolean readOnly) throws StoreException {
        checkOpen();
        String canonical = MemoryAccount.canonical(name);
        MemoryMailbox box = new MemoryMailbox(this, account.folder(canonical), canonical, readOnly);
        open.add(box);
        return box;
    }

    @Override
    public MailboxStatus status(String name) throws StoreException {
        checkOpen();
        return account.folder(MemoryAccount.canonical(name)).status();
    }

    @Override
    public void create(String name) throws StoreException {
        checkOpen();
        account.create(name);
    }

    @Override
    public void delete(String name) throws StoreException {
        checkOpen();
        account.delete(name);
    }

    @Override
    public void rename(String from, String to) throws StoreException {
        checkOpen();
        account.rename(from, to);
    }

    @Override
    public List<Quota> quota() throws StoreException {
        checkOpen();
        return List.of();
    }

    @Override
    public MessageUpload upload() throws StoreException {
        checkOpen();
        try {
            return new MemoryUpload(uploads);
        } catch (java.io.IOException e) {
            throw new StoreException(Reason.SERVERBUG, "Cannot start an upload: " + e.getMessage());
        }
    }

    void closed(MemoryMailbox box) {
        open.remove(box);
    }

    @Override
    public void close() {
        closed = true;
        for (MemoryMailbox box : List.copyOf(open)) {
            box.close();
        }
    }

    private void checkOpen() throws StoreException {
        if (closed) {
            throw new StoreException(Reason.CANNOT, "The user's mail is closed");
        }
    }
}
