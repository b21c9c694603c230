package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ImapUrl;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.acl.SharedMail;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.urlauth.UrlAuthKeys;
import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreException;
import posthorn.store.api.UserMail;

/**
 * URLAUTH (RFC 4467): GENURLAUTH signs a URL's rump with the user's key of its mailbox (INTERNAL:
 * HMAC-SHA1, section 7), RESETKEY replaces keys, URLFETCH gives what a signed URL names to whoever
 * its access identifier admits. The keys are the server's ({@link UrlAuthKeys}); what a URL names is
 * opened by {@link MessageUrls}, so URL-PARTIAL (RFC 5550) applies here as in CATENATE.
 *
 * <p>Who may fetch (section 4): {@code anonymous} and {@code authuser} anyone logged in,
 * {@code user+NAME} the login NAME only, {@code submit+NAME} only a login that imapd.cfg
 * {@code urlauth.submit} names (a submission server). Fetching another user's URL is for those
 * submission logins only; it opens the owner's mail without the fetcher's ACL rights (the owner's
 * key authorized it), through the shared namespace's lookup of owners.
 */
final class UrlAuth {

    /** The one mechanism (RFC 4467 section 7). */
    static final String INTERNAL = "INTERNAL";

    private UrlAuth() {
    }

    /**
     * Checks a URL with ;URLAUTH=access:mech:token as URLFETCH does and opens what it names: for
     * URLFETCH, and for CATENATE's URL parts that carry one.
     */
    static MessageUrls.Opened open(CommandContext ctx, SessionState.LoggedIn state, ImapUrl url, String text)
            throws MessageUrls.BadUrl, IOException, StoreException {
        String me = state.user().name();
        if (url.form() != ImapUrl.Form.ABSOLUTE || url.access() == null || url.user() == null) {
            throw new MessageUrls.BadUrl(text, "not an absolute URL with ;URLAUTH= and a user");
        }
        if (url.mechanism() == null || url.token() == null) {
            throw new MessageUrls.BadUrl(text, "URLAUTH rump without a mechanism and token");
        }
        if (!url.mechanism().equals(INTERNAL)) {
            throw new MessageUrls.BadUrl(text, "unknown URLAUTH mechanism " + url.mechanism());
        }
        if (url.expire() != null && !url.expire().isAfter(Instant.now())) {
            throw new MessageUrls.BadUrl(text, "expired at " + url.expire());
        }
        boolean submitter = ctx.urlSettings().submitUsers().contains(me);
        String access = url.access();
        boolean admitted = switch (access.substring(0, access.indexOf('+') + 1)) {
            case "user+" -> access.substring(5).equals(me);
            case "submit+" -> submitter;
            default -> access.equals("authuser") || access.equals("anonymous");
        };
        if (!admitted) {
            throw new MessageUrls.BadUrl(text, "access " + access + " does not admit " + me);
        }
        String owner = url.user();
        UserMail mail;
        if (owner.equals(me)) {
            mail = state.mail();
        } else if (!submitter) {
            throw new MessageUrls.BadUrl(text, "another user's URL, fetched by a login urlauth.submit does not name");
        } else {
            mail = state.mail() instanceof SharedMail shared ? shared.ownerMail(owner) : null;
            if (mail == null) {
                throw new MessageUrls.BadUrl(text, "no mail of the URL's user");
            }
        }
        String store;
        try {
            store = ctx.names().namespace().toStore(url.mailbox());
        } catch (StoreException e) {
            throw new MessageUrls.BadUrl(text, "mailbox outside the namespace");
        }
        byte[] key = ctx.urlAuthKeys().existingKey(owner, store);
        if (key == null || !UrlAuthKeys.verify(key, url.rump(), url.token())) {
            throw new MessageUrls.BadUrl(text, "token does not verify (no key, another key, or a changed URL)");
        }
        return MessageUrls.open(ctx, mail, url, text, store, url.mailbox());
    }

    /** {@code GENURLAUTH url-rump mechanism *(SP url-rump mechanism)} (section 6.1). */
    static final class Generate implements Command<SessionState.LoggedIn> {
        @Override
        public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
                throws ProtocolException, IOException, StoreException {
            List<String[]> asked = new ArrayList<>();
            do {
                args.sp();
                String rump = args.astring();
                args.sp();
                String mech = args.atom().toUpperCase(Locale.ROOT);
                asked.add(new String[] {rump, mech});
            } while (!args.atEnd());
            args.end();
            List<String> made = new ArrayList<>();
            for (String[] a : asked) {
                if (!a[1].equals(INTERNAL)) {
                    refuse(ctx, tag, a[0], "unknown URLAUTH mechanism " + a[1]);
                    return;
                }
                try {
                    made.add(sign(ctx, state, a[0]));
                } catch (MessageUrls.BadUrl e) {
                    refuse(ctx, tag, a[0], e.getMessage());
                    return;
                } catch (UrlAuthKeys.TooManyKeys e) {
                    // RFC 5530 LIMIT: an implementation limit, not a fault of the URL
                    ctx.log().warn("s{} event=urlauth.keys.limit user={} max={} key=urlauth.keys.max", ctx.id(),
                            state.user().name(), e.max());
                    ctx.out().status(tag, Status.NO, "LIMIT", "Cannot make a URLAUTH URL: " + e.getMessage());
                    return;
                }
            }
            ctx.out().untagged().raw("GENURLAUTH");
            for (String u : made) {
                ctx.out().sp().string(u);
            }
            ctx.out().crlf();
            ctx.log().info("s{} GENURLAUTH urls={}", ctx.id(), made.size());
            ctx.completed(tag);
        }

        private static String sign(CommandContext ctx, SessionState.LoggedIn state, String text)
                throws MessageUrls.BadUrl, IOException, StoreException, UrlAuthKeys.TooManyKeys {
            ImapUrl url = MessageUrls.parse(ctx, text);
            if (url.form() != ImapUrl.Form.ABSOLUTE || url.access() == null) {
                throw new MessageUrls.BadUrl(text, "GENURLAUTH needs an absolute URL ending in ;URLAUTH=access");
            }
            if (url.mechanism() != null) {
                throw new MessageUrls.BadUrl(text, "GENURLAUTH takes a rump, without :mechanism:token");
            }
            if (url.user() == null || !url.user().equals(state.user().name())) {
                throw new MessageUrls.BadUrl(text, "the URL's user is not the logged-in user");
            }
            String store;
            try {
                store = ctx.names().namespace().toStore(url.mailbox());
            } catch (StoreException e) {
                throw new MessageUrls.BadUrl(text, "mailbox outside the namespace");
            }
            // The user must be able to read the mailbox now: a key is made only for one that exists.
            try (Mailbox box = state.mail().open(store, true)) {
                box.sync();
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.SERVERBUG) {
                    throw e;
                }
                throw new MessageUrls.BadUrl(text, "cannot open the mailbox: [" + e.reason() + "]");
            }
            byte[] key = ctx.urlAuthKeys().keyFor(state.user().name(), store, ctx.urlSettings().maxKeys());
            return url.rump() + ":internal:" + UrlAuthKeys.token(key, url.rump());
        }
    }

    /** {@code RESETKEY [mailbox *(SP mechanism)]} (section 6.2). */
    static final class ResetKey implements Command<SessionState.LoggedIn> {
        @Override
        public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
                throws ProtocolException, IOException, StoreException {
            String me = state.user().name();
            if (args.atEnd()) {
                ctx.urlAuthKeys().resetAll(me);
                ctx.log().info("s{} RESETKEY all mailboxes", ctx.id());
                ctx.completed(tag);
                return;
            }
            args.sp();
            String name = ctx.names().argument(args);
            while (!args.atEnd()) {
                args.sp();
                String mech = args.atom();
                if (!mech.equalsIgnoreCase(INTERNAL)) {
                    throw new ProtocolException("Unknown URLAUTH mechanism " + mech);
                }
            }
            args.end();
            try (Mailbox box = state.mail().open(name, true)) {
                box.sync();
            }
            ctx.urlAuthKeys().reset(me, name);
            ctx.log().info("s{} RESETKEY {}", ctx.id(), name);
            ctx.completed(tag);
        }
    }

    /** {@code URLFETCH url *(SP url)} (section 6.3): NIL for each URL that cannot be given. */
    static final class Fetch implements Command<SessionState.LoggedIn> {
        @Override
        public void execute(CommandContext ctx, SessionState.LoggedIn state, String tag, ArgReader args)
                throws ProtocolException, IOException, StoreException {
            List<String> urls = new ArrayList<>();
            do {
                args.sp();
                urls.add(args.astring());
            } while (!args.atEnd());
            args.end();
            int given = 0;
            ctx.out().untagged().raw("URLFETCH");
            for (String text : urls) {
                ctx.out().sp().string(text).sp();
                MessageUrls.Opened o = null;
                try {
                    ImapUrl url = MessageUrls.parse(ctx, text);
                    o = open(ctx, state, url, text);
                } catch (MessageUrls.BadUrl e) {
                    ctx.log().info("s{} URLFETCH NIL for {}: {}", ctx.id(), rumpOf(text), e.getMessage());
                } catch (StoreException e) {
                    // the response line is open: this URL gets NIL, the failure goes to the log
                    ctx.log().error("s{} URLFETCH NIL for {}: [{}] {}", ctx.id(), rumpOf(text), e.reason(), e.getMessage());
                }
                if (o == null) {
                    ctx.out().nil();
                    continue;
                }
                try (MessageUrls.Opened opened = o) {
                    ctx.out().literal(opened.body().in(), opened.body().size());
                    given++;
                }
            }
            ctx.out().crlf();
            ctx.log().info("s{} URLFETCH urls={} given={}", ctx.id(), urls.size(), given);
            ctx.completed(tag);
        }
    }

    /**
     * After DELETE or RENAME: drops the user's URLAUTH key of {@code name} (and of the names under it
     * when {@code tree}). The command is done by then, so a failure to rewrite the key file is logged
     * (the mailbox's old URLs may then still verify) rather than failing it.
     */
    static void forgetKeys(CommandContext ctx, SessionState.LoggedIn state, String name, boolean tree) {
        String me = state.user().name();
        try {
            int dropped = tree ? ctx.urlAuthKeys().forgetTree(me, name, state.mail().separator())
                    : ctx.urlAuthKeys().forget(me, name) ? 1 : 0;
            if (dropped > 0) {
                ctx.log().info("s{} event=urlauth.keys.dropped mailbox={} keys={} by={}", ctx.id(), name, dropped,
                        ctx.command());
            }
        } catch (IOException e) {
            ctx.log().error("s{} event=urlauth.keys.drop.failed mailbox={} by={} reason=\"{}\"", ctx.id(), name,
                    ctx.command(), e.toString());
        }
    }

    /** A URL for the log: without its token, a credential to whoever holds it. */
    static String rumpOf(String text) {
        int at = text.toUpperCase(Locale.ROOT).lastIndexOf(";URLAUTH=");
        if (at < 0) {
            return text.length() > 200 ? text.substring(0, 200) + "..." : text;
        }
        int colon = text.indexOf(':', at);
        String rump = colon < 0 ? text : text.substring(0, colon) + ":...";
        return rump.length() > 200 ? rump.substring(0, 200) + "..." : rump;
    }

    private static void refuse(CommandContext ctx, String tag, String text, String why) throws IOException {
        MessageUrls.BadUrl b = new MessageUrls.BadUrl(text, why);
        ctx.log().info("s{} NO {}: [BADURL] {}: {}", ctx.id(), ctx.command(), rumpOf(text), why);
        ctx.out().status(tag, Status.NO, b.responseCode(), "Cannot make a URLAUTH URL: " + why);
    }
}
