package posthorn.auth.ldap.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;

import posthorn.auth.support.config.BadSetting;
import posthorn.auth.support.health.Reachability;

/**
 * The backend's configuration, checked: every problem an operator can make in auth.ldap.cfg is
 * reported here, at activation, as a {@link BadSetting} naming the key. Immutable. {@link #toString()} leaves out
 * the service account's password.
 */
record LdapSettings(List<LDAPURL> urls, boolean startTls, Path caFile, String bindDn, String bindPassword,
                    String baseDn, String filter, Mode mode, String dnTemplate,
                    String attrLogin, String attrPassword, String attrHome, String attrMaildir,
                    String attrQuota, String attrUid, String attrGid,
                    int poolSize, int connectTimeoutMillis, int responseTimeoutMillis, Duration downRetry,
                    boolean credentialsPlain) {

    /** How a password is checked. */
    enum Mode {
        /** Search the user's entry with the service account, then bind as its DN. */
        BIND,
        /** Bind as the DN built from {@code dn.template}; no search. */
        DN,
        /** Search the entry, then compare the password attribute (locally for hashed values). */
        COMPARE
    }

    static LdapSettings of(LdapBackend.Config c) {
        List<LDAPURL> urls = new ArrayList<>();
        for (String u : nz(c.url()).split("[\\s,]+")) {
            if (u.isEmpty()) {
                continue;
            }
            try {
                LDAPURL url = new LDAPURL(u);
                if (!url.getScheme().equals("ldap") && !url.getScheme().equals("ldaps")) {
                    throw bad("url", "scheme must be ldap:// or ldaps://: " + u);
                }
                urls.add(url);
            } catch (LDAPException e) {
                throw bad("url", "not an LDAP URL: " + u);
            }
        }
        if (urls.isEmpty()) {
            throw bad("url", "required (ldap://host:port or ldaps://host:port, several for failover)");
        }
        boolean startTls = BadSetting.read("starttls", c::starttls);
        if (startTls && urls.stream().anyMatch(u -> u.getScheme().equals("ldaps"))) {
            throw bad("starttls", "cannot be combined with an ldaps:// url");
        }
        Path caFile = null;
        if (!nz(c.ca_file()).isEmpty()) {
            caFile = Path.of(c.ca_file().trim());
            if (!Files.isReadable(caFile)) {
                throw bad("ca.file", "cannot read " + caFile);
            }
        }
        String bindDn = nz(c.bind_dn());
        String bindPassword = c.bind_password() == null ? "" : c.bind_password();
        if (!bindDn.isEmpty() && bindPassword.isEmpty()) {
            // RFC 4513 5.1.2: a DN with an empty password is an unauthenticated bind, not a login
            throw bad("bind.password", "required when bind.dn is set");
        }
        Mode mode;
        try {
            mode = Mode.valueOf(nz(c.mode()).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad("mode", "must be bind, dn or compare, not '" + c.mode() + "'");
        }
        String baseDn = nz(c.base_dn());
        String filter = nz(c.filter());
        String dnTemplate = nz(c.dn_template());
        if (mode == Mode.DN) {
            if (!dnTemplate.contains(LdapEscape.USER)) {
                throw bad("dn.template", "required for mode=dn and must contain %u");
            }
            try {
                LdapEscape.dn(dnTemplate, "x");
            } catch (LDAPException e) {
                throw bad("dn.template", "not a DN: " + e.getExceptionMessage());
            }
        } else {
            if (baseDn.isEmpty()) {
                throw bad("base.dn", "required for mode=" + mode.name().toLowerCase(Locale.ROOT));
            }
        }
        if (!baseDn.isEmpty()) {
            try {
                new com.unboundid.ldap.sdk.DN(baseDn);
            } catch (LDAPException e) {
                throw bad("base.dn", "not a DN: " + e.getExceptionMessage());
            }
        }
        if (mode != Mode.DN) {
            if (!filter.contains(LdapEscape.USER)) {
                throw bad("filter", "must contain %u");
            }
            try {
                LdapEscape.filter(filter, "x");
            } catch (LDAPException e) {
                throw bad("filter", "not an LDAP filter: " + e.getExceptionMessage());
            }
        }
        String attrPassword = nz(c.attr_password());
        if (mode == Mode.COMPARE && attrPassword.isEmpty()) {
            throw bad("attr.password", "required for mode=compare");
        }
        int poolSize = BadSetting.read("pool.size", c::pool_size);
        if (poolSize < 1) {
            throw bad("pool.size", "must be at least 1");
        }
        int connectTimeout = BadSetting.read("connect.timeout", c::connect_timeout);
        if (connectTimeout < 1) {
            throw bad("connect.timeout", "must be at least 1 ms");
        }
        int responseTimeout = BadSetting.read("response.timeout", c::response_timeout);
        if (responseTimeout < 1) {
            throw bad("response.timeout", "must be at least 1 ms");
        }
        Duration downRetry = Reachability.downRetry("down.retry", BadSetting.read("down.retry", c::down_retry));
        return new LdapSettings(List.copyOf(urls), startTls, caFile, bindDn, bindPassword, baseDn, filter, mode,
                dnTemplate, nz(c.attr_login()), attrPassword, nz(c.attr_home()), nz(c.attr_maildir()),
                nz(c.attr_quota()), nz(c.attr_uid()), nz(c.attr_gid()), poolSize, connectTimeout,
                responseTimeout, downRetry, BadSetting.read("credentials.plain", c::credentials_plain));
    }

    /** The user-entry attributes to ask for (never the password unless {@code withPassword}). */
    String[] attributes(boolean withPassword) {
        List<String> a = new ArrayList<>();
        for (String s : List.of(attrLogin, attrHome, attrMaildir, attrQuota, attrUid, attrGid)) {
            if (!s.isEmpty()) {
                a.add(s);
            }
        }
        if (withPassword && !attrPassword.isEmpty()) {
            a.add(attrPassword);
        }
        if (a.isEmpty()) {
            a.add("1.1"); // RFC 4511 4.5.1.8: no attributes
        }
        return a.toArray(String[]::new);
    }

    private static String nz(String s) {
        return s == null ? "" : s.trim();
    }

    private static BadSetting bad(String key, String why) {
        return new BadSetting(key, why);
    }

    @Override
    public String toString() {
        return "urls=" + urls + " starttls=" + startTls + " mode=" + mode.name().toLowerCase(Locale.ROOT)
                + " base.dn=" + baseDn + " bind.dn=" + (bindDn.isEmpty() ? "(anonymous)" : bindDn)
                + " pool.size=" + poolSize + " down.retry=" + downRetry.toSeconds();
    }
}
