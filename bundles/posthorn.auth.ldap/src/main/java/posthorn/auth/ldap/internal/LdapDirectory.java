package posthorn.auth.ldap.internal;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStoreException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.BindRequest;
import com.unboundid.ldap.sdk.CompareRequest;
import com.unboundid.ldap.sdk.CompareResult;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.FailoverServerSet;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPRequest;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.PostConnectProcessor;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.ServerSet;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.SingleServerSet;
import com.unboundid.ldap.sdk.StartTLSPostConnectProcessor;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.JVMDefaultTrustManager;
import com.unboundid.util.ssl.PEMFileTrustManager;
import com.unboundid.util.ssl.SSLUtil;

import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.health.Reachability;

/**
 * One configured directory: two connection pools to the same servers, and the three ways of
 * checking a password. The <em>service pool</em> is bound as {@code bind.dn} (or anonymous) and
 * does searches, reads and compares; the <em>bind pool</em> holds connections used only to bind
 * as users, so a user's bind never changes the identity under which searches run. A bind-pool
 * connection is returned bound as the last user who logged in on it; it is never used for anything
 * but the next bind (and, in {@code dn} mode, reading that same user's entry right after it).
 *
 * <p>Time: one login (or lookup) waits at most {@code response.timeout} for all the directory's
 * answers together, plus {@code connect.timeout} for each connection it has to open; a request
 * that times out is not sent again. A directory that cannot be reached (refused, timed out,
 * connection lost) is not asked for {@code down.retry} afterwards: {@link Reachability} answers
 * Unavailable at once, and logs the outage once.
 *
 * <p>Thread-safe: the pools are. Connections are made on demand, so a directory that is down at
 * activation makes logins {@link Verdict.Unavailable} until it answers, rather than failing the
 * component. Never logs a user's password or the service account's.
 */
final class LdapDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LdapDirectory.class);
    /**
     * What a bind with an empty password answers, without sending it. RFC 4513 5.1.2: a simple bind
     * with a DN and no password is an "unauthenticated bind", which a server may answer with
     * success; so, whatever the caller checked before, none is ever sent as a user's login. (The
     * auth chain refuses empty passwords for every backend; this guard is the bind protocol's own.)
     */
    private static final Verdict UNAUTHENTICATED_BIND = new Verdict.WrongPassword("empty password");
    /** Login names longer than this are not looked up (no directory has them; it bounds filter size). */
    private static final int MAX_LOGIN = 256;

    private final LdapSettings settings;
    private final LDAPConnectionPool service;
    private final LDAPConnectionPool binds;
    private final Reachability reachability;

    /** A piece of work on one pooled connection. */
    private interface Operation<T> {
        T on(LDAPConnection c) throws LDAPException;
    }

    LdapDirectory(LdapSettings settings) throws LDAPException, GeneralSecurityException {
        this.settings = settings;
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setConnectTimeoutMillis(settings.connectTimeoutMillis());
        options.setResponseTimeoutMillis(settings.responseTimeoutMillis());
        options.setAbandonOnTimeout(true);
        options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true));

        SSLUtil ssl = new SSLUtil(trustManager(settings.caFile()));
        List<ServerSet> servers = new ArrayList<>();
        for (LDAPURL url : settings.urls()) {
            SocketFactory sockets = url.getScheme().equals("ldaps") ? ssl.createSSLSocketFactory() : null;
            servers.add(new SingleServerSet(url.getHost(), url.getPort(), sockets, options));
        }
        ServerSet serverSet = servers.size() == 1 ? servers.get(0) : new FailoverServerSet(servers);
        PostConnectProcessor startTls = null;
        if (settings.startTls()) {
            SSLSocketFactory tlsSockets = ssl.createSSLSocketFactory();
            startTls = new StartTLSPostConnectProcessor(tlsSockets);
        }
        BindRequest serviceBind = settings.bindDn().isEmpty() ? null
                : new SimpleBindRequest(settings.bindDn(), settings.bindPassword());
        int size = settings.poolSize();
        // no initial connections and no throw: the component comes up even while the directory is down
        service = new LDAPConnectionPool(serverSet, serviceBind, 0, size, 1, startTls, false);
        binds = new LDAPConnectionPool(serverSet, null, 0, size, 1, startTls, false);
        for (LDAPConnectionPool p : List.of(service, binds)) {
            p.setCreateIfNecessary(true);
            p.setMaxWaitTimeMillis(settings.connectTimeoutMillis());
        }
        // No setRetryFailedOperationsDueToInvalidConnections: it also retries after a timeout, which
        // made a hung directory cost each login two response timeouts. service() and bound() retry
        // only on a connection the server has closed.
        service.setConnectionPoolName("posthorn-ldap-service");
        binds.setConnectionPoolName("posthorn-ldap-binds");
        reachability = new Reachability("ldap: directory", LOG, settings.downRetry());
    }

    private static X509TrustManager trustManager(Path caFile) throws KeyStoreException {
        return caFile == null ? JVMDefaultTrustManager.getInstance() : new PEMFileTrustManager(new File(caFile.toString()));
    }

    LdapSettings settings() {
        return settings;
    }

    /** Checks a password the configured way. */
    Verdict verify(String user, Secret password) {
        if (!plausible(user)) {
            return Verdict.NO_SUCH_USER;
        }
        Optional<Verdict.Unavailable> down = reachability.skip();
        if (down.isPresent()) {
            return down.get();
        }
        long deadline = deadline();
        try {
            Verdict v = switch (settings.mode()) {
                case BIND -> searchThenBind(user, password, deadline);
                case DN -> bindAsUser(user, password, deadline);
                case COMPARE -> searchThenCompare(user, password, deadline);
            };
            if (!(v instanceof Verdict.Unavailable)) {
                reachability.answered();
            }
            return v;
        } catch (LDAPException e) {
            return unavailable(e);
        }
    }

    /** The user's record; empty if unknown or if the directory cannot be asked (logged). */
    Optional<UserRecord> lookup(String user) {
        if (!plausible(user) || reachability.skip().isPresent()) {
            return Optional.empty();
        }
        try {
            SearchResultEntry e = find(user, false, deadline());
            reachability.answered();
            return e == null ? Optional.empty() : Optional.of(record(e, user));
        } catch (Ambiguous a) {
            a.verdict();
            return Optional.empty();
        } catch (LDAPException e) {
            unavailable(e);
            return Optional.empty();
        }
    }

    /**
     * The user's clear-text password from {@code attr.password}: the first value without a
     * {@code {SCHEME}} prefix (or with {@code {CLEARTEXT}}/{@code {PLAIN}}, prefix removed).
     */
    Optional<Secret> plainPassword(String user) {
        if (!plausible(user) || settings.attrPassword().isEmpty() || reachability.skip().isPresent()) {
            return Optional.empty();
        }
        try {
            SearchResultEntry e = find(user, true, deadline());
            reachability.answered();
            if (e == null) {
                return Optional.empty();
            }
            byte[][] values = e.getAttributeValueByteArrays(settings.attrPassword());
            if (values == null) {
                return Optional.empty();
            }
            for (byte[] v : values) {
                String s = new String(v, StandardCharsets.UTF_8);
                String scheme = PasswordScheme.scheme(s);
                Secret secret = null;
                if (scheme == null) {
                    secret = Secret.ofUtf8(v);
                } else if (scheme.equals("CLEARTEXT") || scheme.equals("PLAIN")) {
                    secret = Secret.of(s.substring(scheme.length() + 2));
                }
                Arrays.fill(v, (byte) 0);
                if (secret != null) {
                    return Optional.of(secret);
                }
            }
            return Optional.empty();
        } catch (Ambiguous a) {
            a.verdict();
            return Optional.empty();
        } catch (LDAPException e) {
            unavailable(e);
            return Optional.empty();
        }
    }

    private Verdict searchThenBind(String user, Secret password, long deadline) throws LDAPException {
        SearchResultEntry entry;
        try {
            entry = find(user, false, deadline);
        } catch (Ambiguous a) {
            return a.verdict();
        }
        if (entry == null) {
            return Verdict.NO_SUCH_USER;
        }
        if (password.isEmpty()) {
            return UNAUTHENTICATED_BIND;
        }
        byte[] pw = password.utf8();
        try {
            binds.releaseConnection(bound(entry.getDN(), pw, deadline));
            return new Verdict.Success(record(entry, user));
        } catch (LDAPException e) {
            return bindFailed(e);
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    private Verdict bindAsUser(String user, Secret password, long deadline) throws LDAPException {
        DN dn = LdapEscape.dn(settings.dnTemplate(), user);
        if (password.isEmpty()) {
            return exists(dn, deadline) ? UNAUTHENTICATED_BIND : Verdict.NO_SUCH_USER;
        }
        LDAPConnection c;
        byte[] pw = password.utf8();
        try {
            c = bound(dn.toString(), pw, deadline);
        } catch (LDAPException e) {
            Verdict v = bindFailed(e);
            // a bind to a DN that does not exist fails as invalidCredentials too (RFC 4513 6.3.1)
            return v instanceof Verdict.WrongPassword && !exists(dn, deadline) ? Verdict.NO_SUCH_USER : v;
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
        // the user's own entry, read as the user: works where the service account may not read it
        SearchResultEntry entry = null;
        try {
            entry = c.searchForEntry(within(deadline, entryRequest(dn.toString(), settings.attributes(false))));
            binds.releaseConnection(c);
        } catch (LDAPException e) {
            giveBack(binds, c, e);
            LOG.debug("ldap: cannot read {} as itself: {}", dn, e.getResultCode());
        }
        return new Verdict.Success(entry == null ? null : record(entry, user));
    }

    private Verdict searchThenCompare(String user, Secret password, long deadline) throws LDAPException {
        SearchResultEntry entry;
        try {
            entry = find(user, true, deadline);
        } catch (Ambiguous a) {
            return a.verdict();
        }
        if (entry == null) {
            return Verdict.NO_SUCH_USER;
        }
        byte[] pw = password.utf8();
        try {
            // hashed values the service account can read are checked here: OpenLDAP's compare
            // matches the stored octets, so a correct password against {SSHA} would compare false
            byte[][] values = entry.getAttributeValueByteArrays(settings.attrPassword());
            boolean checkedLocally = false;
            if (values != null) {
                for (byte[] v : values) {
                    String s = new String(v, StandardCharsets.UTF_8);
                    if (PasswordScheme.supported(PasswordScheme.scheme(s))) {
                        checkedLocally = true;
                        if (PasswordScheme.check(s, pw) == PasswordScheme.Outcome.MATCH) {
                            return new Verdict.Success(record(entry, user));
                        }
                    }
                }
            }
            if (checkedLocally) {
                return new Verdict.WrongPassword("wrong password");
            }
            try {
                CompareRequest compare = new CompareRequest(entry.getDN(), settings.attrPassword(), pw);
                CompareResult r = service(c -> c.compare(within(deadline, compare)));
                return r.compareMatched() ? new Verdict.Success(record(entry, user))
                        : new Verdict.WrongPassword("wrong password");
            } catch (LDAPException e) {
                if (e.getResultCode() == ResultCode.NO_SUCH_ATTRIBUTE) {
                    return new Verdict.WrongPassword("no " + settings.attrPassword());
                }
                throw e;
            }
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /**
     * A bind-pool connection bound as {@code dn}; the caller releases it. A pooled connection the
     * server has closed is replaced and the bind tried once more (see {@link #service}).
     */
    private LDAPConnection bound(String dn, byte[] pw, long deadline) throws LDAPException {
        for (int attempt = 0; ; attempt++) {
            LDAPConnection c = binds.getConnection();
            try {
                c.bind(within(deadline, new SimpleBindRequest(dn, pw)));
                return c;
            } catch (LDAPException e) {
                giveBack(binds, c, e);
                if (attempt > 0 || !closedUnderUs(e)) {
                    throw e;
                }
            }
        }
    }

    /**
     * One operation on a service-pool connection. A pooled connection the server has closed (a
     * restart, its idle timeout) is replaced and the operation tried once more, rather than failing
     * a login per stale connection; never after a timeout, so a directory that does not answer is
     * waited for once, not twice.
     */
    private <T> T service(Operation<T> operation) throws LDAPException {
        for (int attempt = 0; ; attempt++) {
            LDAPConnection c = service.getConnection();
            try {
                T result = operation.on(c);
                service.releaseConnection(c);
                return result;
            } catch (LDAPException e) {
                giveBack(service, c, e);
                if (attempt > 0 || !closedUnderUs(e)) {
                    throw e;
                }
            }
        }
    }

    /**
     * Returns a connection after a failed operation: to the pool if it is still usable, else closed
     * with no replacement made now. (The pool's own releaseConnectionAfterException connects a
     * replacement at once, in the caller's thread: against a hung directory that cost the login a
     * second response.timeout. The pool makes one when it is next needed.)
     */
    private static void giveBack(LDAPConnectionPool pool, LDAPConnection c, LDAPException e) {
        if (e.getResultCode().isConnectionUsable()) {
            pool.releaseConnection(c);
        } else {
            pool.discardConnection(c);
        }
    }

    private static boolean closedUnderUs(LDAPException e) {
        return e.getResultCode() == ResultCode.SERVER_DOWN;
    }

    /** When this attempt's response.timeout runs out (System.nanoTime()). */
    private long deadline() {
        return System.nanoTime() + settings.responseTimeoutMillis() * 1_000_000L;
    }

    /**
     * The request, allowed what is left of the attempt's response.timeout.
     *
     * @throws LDAPException (timeout) if nothing is left
     */
    private static <R extends LDAPRequest> R within(long deadline, R request) throws LDAPException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new LDAPException(ResultCode.TIMEOUT, "response.timeout used up by this login's earlier requests");
        }
        request.setResponseTimeoutMillis(left);
        if (request instanceof SearchRequest search) {
            search.setTimeLimitSeconds((int) Math.max(1, (left + 999) / 1000)); // the server gives up too
        }
        return request;
    }

    /** Reads one entry by DN (a base-scope search). */
    private static SearchRequest entryRequest(String dn, String... attributes) throws LDAPException {
        return new SearchRequest(dn, SearchScope.BASE, Filter.createPresenceFilter("objectClass"), attributes);
    }

    /** Maps a failed user bind to a verdict. */
    private Verdict bindFailed(LDAPException e) {
        ResultCode rc = e.getResultCode();
        if (rc == ResultCode.INVALID_CREDENTIALS || rc == ResultCode.INAPPROPRIATE_AUTHENTICATION) {
            return new Verdict.WrongPassword("wrong password");
        }
        if (rc == ResultCode.UNWILLING_TO_PERFORM || rc == ResultCode.INVALID_DN_SYNTAX) {
            // e.g. a locked account (ppolicy) or a login name the server will not bind with
            return new Verdict.WrongPassword("bind refused: " + rc.getName());
        }
        return unavailable(e);
    }

    /**
     * The user's entry: searched with {@code filter} under {@code base.dn}, or in {@code dn} mode
     * read from the DN the template gives. {@code null} if there is none.
     *
     * @throws Ambiguous if the filter matches more than one entry
     */
    private SearchResultEntry find(String user, boolean withPassword, long deadline) throws LDAPException {
        String[] attrs = settings.attributes(withPassword);
        if (settings.mode() == LdapSettings.Mode.DN) {
            SearchRequest entry = entryRequest(LdapEscape.dn(settings.dnTemplate(), user).toString(), attrs);
            return service(c -> c.searchForEntry(within(deadline, entry)));
        }
        Filter filter = LdapEscape.filter(settings.filter(), user);
        SearchRequest request = new SearchRequest(settings.baseDn(), SearchScope.SUB, filter, attrs);
        request.setSizeLimit(2);
        SearchResult result;
        try {
            result = service(c -> c.search(within(deadline, request)));
        } catch (LDAPSearchException e) {
            if (e.getResultCode() == ResultCode.SIZE_LIMIT_EXCEEDED) {
                throw new Ambiguous(user);
            }
            if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
                LOG.warn("ldap: base.dn {} does not exist on the server", settings.baseDn());
            }
            throw e;
        }
        List<SearchResultEntry> entries = result.getSearchEntries();
        if (entries.size() > 1) {
            throw new Ambiguous(user);
        }
        return entries.isEmpty() ? null : entries.get(0);
    }

    private boolean exists(DN dn, long deadline) {
        try {
            SearchRequest entry = entryRequest(dn.toString(), "1.1");
            return service(c -> c.searchForEntry(within(deadline, entry))) != null;
        } catch (LDAPException e) {
            return true; // cannot tell: a wrong password is the safer answer than "no such user"
        }
    }

    private UserRecord record(SearchResultEntry e, String user) {
        String name = value(e, settings.attrLogin());
        Path home = path(value(e, settings.attrHome()), null);
        Path maildir = path(value(e, settings.attrMaildir()), home);
        Map<String, String> options = new LinkedHashMap<>();
        options.put("dn", e.getDN());
        return new UserRecord(name == null ? user : name, home, maildir,
                number(value(e, settings.attrUid())), number(value(e, settings.attrGid())),
                value(e, settings.attrQuota()), options);
    }

    private static String value(SearchResultEntry e, String attr) {
        if (attr.isEmpty()) {
            return null;
        }
        Attribute a = e.getAttribute(attr);
        String v = a == null ? null : a.getValue();
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** A path; a relative one (qmail-ldap's mailMessageStore often is) is taken from home. */
    private static Path path(String s, Path home) {
        if (s == null) {
            return null;
        }
        Path p = Path.of(s);
        return p.isAbsolute() || home == null ? p : home.resolve(p);
    }

    private static long number(String s) {
        if (s == null) {
            return -1;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean plausible(String user) {
        return user != null && !user.isEmpty() && user.length() <= MAX_LOGIN;
    }

    /**
     * Reports a failure to {@link Reachability} (which logs it once per outage) and makes it a
     * verdict. Refused, timed out and lost connections mean the directory cannot be reached; any
     * other failure (a refused service account, a missing base.dn) means it answered.
     */
    private Verdict.Unavailable unavailable(LDAPException e) {
        ResultCode rc = e.getResultCode();
        String detail = e.getDiagnosticMessage() != null ? e.getDiagnosticMessage() : e.getMessage();
        String why = rc.getName() + ": " + detail;
        if (rc == ResultCode.CONNECT_ERROR || rc == ResultCode.SERVER_DOWN || rc == ResultCode.TIMEOUT) {
            reachability.unreachable(why);
        } else {
            reachability.failed(why);
        }
        return new Verdict.Unavailable("ldap: " + rc.getName());
    }

    @Override
    public void close() {
        service.close();
        binds.close();
    }

    /** The filter matched more than one entry: a directory or filter problem, never a login. */
    private static final class Ambiguous extends LDAPException {
        private final String user;

        Ambiguous(String user) {
            super(ResultCode.SIZE_LIMIT_EXCEEDED, "filter matches several entries");
            this.user = user;
        }

        Verdict verdict() {
            LOG.warn("ldap: filter matches more than one entry for user {}; refusing the login", user);
            return new Verdict.WrongPassword("ambiguous user");
        }
    }
}
