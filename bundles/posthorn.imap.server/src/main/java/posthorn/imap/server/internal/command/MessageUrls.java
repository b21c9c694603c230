package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.List;

import posthorn.imap.protocol.ImapUrl;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.fetch.FetchRenderer;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * Opens what an IMAP URL names (RFC 5092 messagepart) of the server's own mail, for CATENATE (RFC 4469)
 * and URLFETCH (RFC 4467). The mailbox is found the way every command finds one: the URL's mailbox
 * (UTF-8, RFC 5092 section 3.2) is a name as the client writes it, mapped through the session's
 * personal namespace ({@link PersonalNamespace#toStore}), and opened read-only through the session's
 * own {@link UserMail}, which applies the store's name checks (no name leads out of the user's
 * Maildir) and the ACL rights (a shared mailbox needs {@code r}). The message is read by the code FETCH
 * BODY.PEEK[section] uses ({@link FetchRenderer#urlSection}); nothing is marked \Seen.
 *
 * <p>Any failure is a {@link BadUrl}: the command answers NO [BADURL url] (RFC 4469 section 5, RFC 4467
 * section 9) and logs the reason, which the client is not told beyond "cannot be read" where telling
 * more would reveal a mailbox the user may not see (RFC 4314 section 6).
 */
final class MessageUrls {

    /** Why a URL is unusable; the text is for the log and, shortened, the response. */
    static final class BadUrl extends Exception {
        private static final long serialVersionUID = 1L;
        private final String url;

        BadUrl(String url, String why) {
            super(why);
            this.url = url;
        }

        /** The URL as the response code may carry it: no "]", no control characters (RFC 4469 url-resp-text). */
        String responseCode() {
            StringBuilder b = new StringBuilder("BADURL ");
            String u = url.length() > 1024 ? url.substring(0, 1024) : url;
            for (int i = 0; i < u.length(); i++) {
                char c = u.charAt(i);
                b.append(c < 0x20 || c == 0x7f || c == ']' || c > 0xfe ? '?' : c);
            }
            return b.toString();
        }
    }

    /** An open message part; closing it closes the mailbox handle it was read through. */
    record Opened(ImapUrl url, String mailbox, FetchRenderer.UrlBody body, Mailbox box) implements AutoCloseable {
        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException ignored) {
                // a read-only stream: nothing is lost
            } finally {
                box.close();
            }
        }
    }

    private MessageUrls() {
    }

    /** Reads URL text, bounded by imapd.cfg url.max.length and mime.max.depth. */
    static ImapUrl parse(CommandContext ctx, String text) throws BadUrl {
        try {
            return ImapUrl.parse(text, ctx.urlSettings().maxLength(), ctx.mimeLimits().maxDepth());
        } catch (ProtocolException e) {
            throw new BadUrl(text, e.getMessage());
        }
    }

    /**
     * Opens a URL of CATENATE: absolute (the session's own user), an absolute path, or relative to the
     * selected mailbox. A URL with ;URLAUTH= is authorized by its token instead ({@link UrlAuth}).
     */
    static Opened catenatePart(CommandContext ctx, SessionState.LoggedIn state, String text)
            throws BadUrl, IOException, StoreException {
        ImapUrl url = parse(ctx, text);
        String mailbox;
        String store;
        switch (url.form()) {
            case MESSAGE -> {
                if (!(state instanceof SessionState.Selected s)) {
                    throw new BadUrl(text, "relative URL without a selected mailbox");
                }
                store = s.mailbox().store().name();
                mailbox = store;
                return open(ctx, state.mail(), url, text, store, mailbox);
            }
            case PATH -> mailbox = url.mailbox();
            case ABSOLUTE -> {
                if (url.access() != null) {
                    return UrlAuth.open(ctx, state, url, text);
                }
                if (url.user() == null || !url.user().equals(state.user().name())) {
                    throw new BadUrl(text, "URL names another user (" + String.valueOf(url.user()) + ") and carries no URLAUTH");
                }
                mailbox = url.mailbox();
            }
            default -> throw new AssertionError(url.form());
        }
        try {
            store = ctx.names().namespace().toStore(mailbox);
        } catch (StoreException e) {
            throw new BadUrl(text, "mailbox outside the namespace: " + e.getMessage());
        }
        return open(ctx, state.mail(), url, text, store, mailbox);
    }

    /**
     * Opens the message part of {@code url} in {@code mail}'s mailbox {@code store} (a store name),
     * checking UIDVALIDITY and that the UID is there.
     */
    static Opened open(CommandContext ctx, UserMail mail, ImapUrl url, String text, String store, String shown)
            throws BadUrl, IOException, StoreException {
        Mailbox box;
        try {
            box = mail.open(store, true);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.SERVERBUG) {
                throw e;
            }
            throw new BadUrl(text, "cannot open " + shown + ": [" + e.reason() + "] " + e.getMessage());
        }
        try {
            try {
                box.sync();
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.SERVERBUG) {
                    throw e;
                }
                throw new BadUrl(text, "cannot read " + shown + ": [" + e.reason() + "] " + e.getMessage());
            }
            if (url.uidValidity() != 0 && url.uidValidity() != box.uidValidity()) {
                throw new BadUrl(text, "UIDVALIDITY " + url.uidValidity() + " is not the mailbox's " + box.uidValidity());
            }
            MessageMeta meta = find(box.messages(), url.uid());
            if (meta == null) {
                throw new BadUrl(text, "no message with UID " + url.uid() + " in " + shown);
            }
            FetchRenderer.UrlBody body;
            try {
                body = FetchRenderer.urlSection(box, meta, url.section(), url.partialOffset(), url.partialLength(),
                        new MimeCuts(ctx.mimeLimits()));
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.SERVERBUG) {
                    throw e;
                }
                throw new BadUrl(text, "cannot read the message: [" + e.reason() + "] " + e.getMessage());
            }
            if (body == null) {
                throw new BadUrl(text, "message UID " + url.uid() + " vanished");
            }
            return new Opened(url, shown, body, box);
        } catch (BadUrl | IOException | StoreException | RuntimeException e) {
            box.close();
            throw e;
        }
    }

    /** The message of that UID in a list sorted by UID, or null. */
    private static MessageMeta find(List<MessageMeta> messages, long uid) {
        int lo = 0;
        int hi = messages.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long u = messages.get(mid).uid();
            if (u < uid) {
                lo = mid + 1;
            } else if (u > uid) {
                hi = mid - 1;
            } else {
                return messages.get(mid);
            }
        }
        return null;
    }
}
