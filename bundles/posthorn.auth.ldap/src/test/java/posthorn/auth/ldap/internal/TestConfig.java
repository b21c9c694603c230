package posthorn.auth.ldap.internal;

import java.util.Map;

import posthorn.auth.support.testing.DsConfig;

/**
 * A {@link LdapBackend.Config} from key=value pairs spelt as in auth.ldap.cfg ({@code bind.dn},
 * {@code attr.home} ...), with the annotation's defaults for the rest, the way DS builds it.
 */
final class TestConfig {
    private TestConfig() {
    }

    static LdapBackend.Config of(Map<String, String> values) {
        return DsConfig.of(LdapBackend.Config.class, values);
    }

    static LdapSettings settings(Map<String, String> values) {
        return LdapSettings.of(of(values));
    }

    /** Convenience: alternating keys and values. */
    static Map<String, String> map(String... kv) {
        return DsConfig.map(kv);
    }
}
