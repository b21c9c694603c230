package posthorn.auth.ldap.internal;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStoreException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
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
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.OperationType;
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

/**
 * One configured directory: two connection pools to the same servers, and the three ways of
 * checking a password. The <em>service pool</em> is bound as {@code bind.dn} (or anonymous) and
 * does searches, reads and compares; the <em>bind pool</em> holds connections used only to bind
 * as users, so a user's bind never changes the identity under which searches run. A bind-pool
 * connection is returned bound as the last user who logged in on it; it is never used for anything
 * but the next bind (and, in {@code dn} mode, reading that same user's entry right after it).
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
        // a pooled connection the server has closed (restart, idle timeout) is replaced and the
        // operation tried once more, instead of failing one login per stale connection; user binds
        // do the same by hand in bound()
        service.setRetryFailedOperationsDueToInvalidConnections(EnumSet.of(
                OperationType.SEARCH, OperationType.COMPARE));
        service.setConnectionPoolName("posthorn-ldap-service");
        binds.setConnectionPoolName("posthorn-ldap-binds");
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
        try {
            return switch (settings.mode()) {
                case BIND -> searchThenBind(user, password);
                case DN -> bindAsUser(user, password);
                case COMPARE -> searchThenCompare(user, password);
            };
        } catch (LDAPException e) {
            return unavailable(e);
        }
    }

    /** The user's record; empty if unknown or if the directory cannot be asked (logged). */
    Optional<UserRecord> lookup(String user) {
        if (!plausible(user)) {
            return Optional.empty();
        }
        try {
            SearchResultEntry e = find(user, false);
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
        if (!plausible(user) || settings.attrPassword().isEmpty()) {
            return Optional.empty();
        }
        try {
            SearchResultEntry e = find(user, true);
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

    private Verdict searchThenBind(String user, Secret password) throws LDAPException {
        SearchResultEntry entry;
        try {
            entry = find(user, false);
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
            binds.releaseConnection(bound(entry.getDN(), pw));
            return new Verdict.Success(record(entry, user));
        } catch (LDAPException e) {
            return bindFailed(e);
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    private Verdict bindAsUser(String user, Secret password) throws LDAPException {
        DN dn = LdapEscape.dn(settings.dnTemplate(), user);
        if (password.isEmpty()) {
            return exists(dn) ? UNAUTHENTICATED_BIND : Verdict.NO_SUCH_USER;
        }
        LDAPConnection c;
        byte[] pw = password.utf8();
        try {
            c = bound(dn.toString(), pw);
        } catch (LDAPException e) {
            Verdict v = bindFailed(e);
            // a bind to a DN that does not exist fails as invalidCredentials too (RFC 4513 6.3.1)
            return v instanceof Verdict.WrongPassword && !exists(dn) ? Verdict.NO_SUCH_USER : v;
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
        // the user's own entry, read as the user: works where the service account may not read it
        SearchResultEntry entry = null;
        try {
            entry = c.getEntry(dn.toString(), settings.attributes(false));
            binds.releaseConnection(c);
        } catch (LDAPException e) {
            binds.releaseConnectionAfterException(c, e);
            LOG.debug("ldap: cannot read {} as itself: {}", dn, e.getResultCode());
        }
        return new Verdict.Success(entry == null ? null : record(entry, user));
    }

    private Verdict searchThenCompare(String user, Secret password) throws LDAPException {
        SearchResultEntry entry;
        try {
            entry = find(user, true);
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
                CompareResult r = service.compare(new CompareRequest(entry.getDN(), settings.attrPassword(), pw));
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
     * server has dropped is replaced and the bind tried once more.
     */
    private LDAPConnection bound(String dn, byte[] pw) throws LDAPException {
        for (int attempt = 0; ; attempt++) {
            LDAPConnection c = binds.getConnection();
            try {
                c.bind(new SimpleBindRequest(dn, pw));
                return c;
            } catch (LDAPException e) {
                binds.releaseConnectionAfterException(c, e);
                if (attempt > 0 || e.getResultCode().isConnectionUsable()) {
                    throw e;
                }
            }
        }
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
    private SearchResultEntry find(String user, boolean withPassword) throws LDAPException {
        String[] attrs = settings.attributes(withPassword);
        if (settings.mode() == LdapSettings.Mode.DN) {
            return service.getEntry(LdapEscape.dn(settings.dnTemplate(), user).toString(), attrs);
        }
        Filter filter = LdapEscape.filter(settings.filter(), user);
        SearchRequest request = new SearchRequest(settings.baseDn(), SearchScope.SUB, filter, attrs);
        request.setSizeLimit(2);
        request.setTimeLimitSeconds(Math.max(1, (settings.responseTimeoutMillis() + 999) / 1000));
        SearchResult result;
        try {
            result = service.search(request);
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

    private boolean exists(DN dn) {
        try {
            return service.getEntry(dn.toString(), "1.1") != null;
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

    private Verdict.Unavailable unavailable(LDAPException e) {
        String detail = e.getDiagnosticMessage() != null ? e.getDiagnosticMessage() : e.getMessage();
        LOG.warn("ldap: directory unavailable: {}: {}", e.getResultCode().getName(), detail);
        return new Verdict.Unavailable("ldap: " + e.getResultCode().getName());
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
