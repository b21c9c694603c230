package posthorn.imap.server.internal.acl;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;
import posthorn.store.api.Watch;

/**
 * A mailbox handle whose operations check the user's rights at the time of each call (RFC 4314 4);
 * see {@link GuardedMail}. Reading (the first sync, a message's text) needs {@code r}; a flag change
 * {@code s}, {@code t} or {@code w} by flag, and a STORE that may change none of its flags is NO
 * [NOPERM] (one that may change some changes those, RFC 4314 4: "SHOULD NOT fail"); appending and
 * copying need {@code i} on the target and keep only the flags the user may set there; MOVE also
 * needs {@code t} and {@code e} here (RFC 6851 3.3); EXPUNGE needs {@code e}.
 */
public final class GuardedMailbox implements Mailbox {
    private final Mailbox box;
    private final GuardedMail mail;
    private boolean read;

    GuardedMailbox(Mailbox box, GuardedMail mail) {
        this.box = box;
        this.mail = mail;
    }

    /** The user's rights on this mailbox now. */
    public String rights() throws StoreException {
        return mail.rights(box.name());
    }

    /** Whether the user has the right now (false if the rights cannot be read). */
    public boolean may(char right) {
        try {
            return Rights.has(rights(), right);
        } catch (StoreException e) {
            return false;
        }
    }

    @Override
    public String name() {
        return box.name();
    }

    @Override
    public boolean readOnly() {
        return box.readOnly();
    }

    @Override
    public long uidValidity() {
        return box.uidValidity();
    }

    @Override
    public long uidNext() {
        return box.uidNext();
    }

    @Override
    public Set<String> keywords() {
        return box.keywords();
    }

    @Override
    public List<Change> sync() throws StoreException {
        if (!read) {
            Rights.require(rights(), "r", false, box.name(), "Reading");
            read = true;
        }
        return box.sync();
    }

    @Override
    public List<MessageMeta> messages() {
        return box.messages();
    }

    @Override
    public InputStream openMessage(long uid) throws StoreException, IOException {
        Rights.require(rights(), "r", false, box.name(), "Reading a message");
        return box.openMessage(uid);
    }

    @Override
    public Map<Long, Set<String>> store(Collection<Long> uids, FlagMode mode, Set<String> flags) throws StoreException {
        String r = rights();
        if (GuardedMail.allFlagRights(r)) {
            return box.store(uids, mode, flags);
        }
        List<String> allowed = Rights.allowed(flags, r);
        if (mode != FlagMode.REPLACE) {
            if (allowed.isEmpty()) {
                Rights.require(r, flagRights(flags), true, box.name(), "Changing these flags");
                return box.store(uids, mode, Set.of());
            }
            return box.store(uids, mode, new LinkedHashSet<>(allowed));
        }
        // Replacing: the flags the user may not change stay as they are on each message.
        Rights.require(r, "swt", true, box.name(), "Changing flags");
        Map<Long, MessageMeta> metas = new LinkedHashMap<>();
        for (MessageMeta m : box.messages()) {
            metas.put(m.uid(), m);
        }
        Map<Long, Set<String>> out = new LinkedHashMap<>();
        for (Long uid : uids) {
            MessageMeta m = metas.get(uid);
            if (m == null) {
                continue;
            }
            Set<String> target = new LinkedHashSet<>();
            for (String f : m.flags()) {
                if (!Rights.has(r, Rights.rightFor(f))) {
                    target.add(f);
                }
            }
            target.addAll(allowed);
            out.putAll(box.store(List.of(uid), FlagMode.REPLACE, target));
        }
        return out;
    }

    private static String flagRights(Set<String> flags) {
        StringBuilder b = new StringBuilder();
        for (String f : flags) {
            b.append(Rights.rightFor(f));
        }
        return b.isEmpty() ? "swt" : Rights.normal(b.toString());
    }

    @Override
    public long append(InputStream message, Set<String> flags, Instant internalDate) throws StoreException, IOException {
        String r = rights();
        Rights.require(r, "i", false, box.name(), "APPEND");
        return box.append(message, new LinkedHashSet<>(Rights.allowed(flags, r)), internalDate);
    }

    @Override
    public long append(MessageUpload message, Set<String> flags, Instant internalDate) throws StoreException, IOException {
        String r = rights();
        Rights.require(r, "i", false, box.name(), "APPEND");
        return box.append(message, new LinkedHashSet<>(Rights.allowed(flags, r)), internalDate);
    }

    @Override
    public Map<Long, Long> copy(Collection<Long> uids, String target) throws StoreException {
        String t = targetRights(target);
        Map<Long, Long> map = box.copy(uids, target);
        dropForbiddenFlags(target, t, map.values());
        return map;
    }

    @Override
    public Map<Long, Long> move(Collection<Long> uids, String target) throws StoreException {
        Rights.require(rights(), "te", false, box.name(), "MOVE");
        String t = targetRights(target);
        Map<Long, Long> map = box.move(uids, target);
        dropForbiddenFlags(target, t, map.values());
        return map;
    }

    /** The user's rights on a COPY or MOVE target, which must allow {@code i}; TRYCREATE if it is missing. */
    private String targetRights(String target) throws StoreException {
        String t;
        try {
            t = mail.rights(target);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NONEXISTENT) {
                throw new StoreException(StoreException.Reason.TRYCREATE, "No mailbox " + target);
            }
            throw e;
        }
        Rights.require(t, "i", false, target, "COPY");
        return t;
    }

    /** RFC 4314 4: a copied message keeps only the flags the user may set in the target. */
    private void dropForbiddenFlags(String target, String rights, Collection<Long> newUids) throws StoreException {
        if (GuardedMail.allFlagRights(rights) || newUids.isEmpty()) {
            return;
        }
        try (Mailbox t = mail.store().open(target, false)) {
            t.sync();
            Set<Long> wanted = new HashSet<>(newUids);
            for (MessageMeta m : t.messages()) {
                if (!wanted.contains(m.uid())) {
                    continue;
                }
                List<String> drop = new ArrayList<>();
                for (String f : m.flags()) {
                    if (!Rights.has(rights, Rights.rightFor(f))) {
                        drop.add(f);
                    }
                }
                if (!drop.isEmpty()) {
                    t.store(List.of(m.uid()), FlagMode.REMOVE, new LinkedHashSet<>(drop));
                }
            }
        }
    }

    @Override
    public List<Long> expunge(Collection<Long> uids) throws StoreException {
        Rights.require(rights(), "e", false, box.name(), "EXPUNGE");
        return box.expunge(uids);
    }

    @Override
    public Watch watch(Runnable listener) {
        return box.watch(listener);
    }

    @Override
    public byte[] cached(long uid, String field) {
        return box.cached(uid, field);
    }

    @Override
    public void cache(long uid, String field, byte[] value) {
        box.cache(uid, field, value);
    }

    @Override
    public void close() {
        box.close();
    }
}
