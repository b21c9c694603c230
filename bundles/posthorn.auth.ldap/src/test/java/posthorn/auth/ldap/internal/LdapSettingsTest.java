package posthorn.auth.ldap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static posthorn.auth.ldap.internal.TestConfig.map;

import java.util.Map;

import org.junit.jupiter.api.Test;

class LdapSettingsTest {

    private static String problem(Map<String, String> cfg) {
        return assertThrows(IllegalArgumentException.class, () -> TestConfig.settings(cfg)).getMessage();
    }

    @Test
    void defaults() {
        LdapSettings s = TestConfig.settings(map("url", "ldap://127.0.0.1:389", "base.dn", "dc=example,dc=org"));
        assertEquals(LdapSettings.Mode.BIND, s.mode());
        assertEquals("(&(objectClass=posixAccount)(uid=%u))", s.filter());
        assertEquals("uid", s.attrLogin());
        assertEquals("userPassword", s.attrPassword());
        assertEquals("homeDirectory", s.attrHome());
        assertEquals("mailMessageStore", s.attrMaildir());
        assertEquals("", s.attrQuota());
        assertEquals(8, s.poolSize());
        assertFalse(s.credentialsPlain());
        assertFalse(s.startTls());
    }

    @Test
    void severalUrlsForFailover() {
        LdapSettings s = TestConfig.settings(map("url", "ldap://a.example:389, ldaps://b.example:636 ldap://c.example",
                "base.dn", "dc=example,dc=org"));
        assertEquals(3, s.urls().size());
        assertEquals(389, s.urls().get(2).getPort());
    }

    @Test
    void eachMistakeNamesItsKey() {
        assertTrue(problem(map("base.dn", "dc=x")).contains("url"));
        assertTrue(problem(map("url", "http://x", "base.dn", "dc=x")).contains("url"));
        assertTrue(problem(map("url", "ldaps://x", "starttls", "true", "base.dn", "dc=x")).contains("starttls"));
        assertTrue(problem(map("url", "ldap://x")).contains("base.dn"));
        assertTrue(problem(map("url", "ldap://x", "base.dn", "not a dn")).contains("base.dn"));
        assertTrue(problem(map("url", "ldap://x", "base.dn", "dc=x", "mode", "guess")).contains("mode"));
        assertTrue(problem(map("url", "ldap://x", "mode", "dn")).contains("dn.template"));
        assertTrue(problem(map("url", "ldap://x", "mode", "dn", "dn.template", "uid=alice,dc=x")).contains("dn.template"));
        assertTrue(problem(map("url", "ldap://x", "base.dn", "dc=x", "filter", "(uid=alice)")).contains("filter"));
        assertTrue(problem(map("url", "ldap://x", "base.dn", "dc=x", "filter", "(uid=%u")).contains("filter"));
        assertTrue(problem(map("url", "ldap://x", "base.dn", "dc=x", "bind.dn", "cn=reader,dc=x")).contains("bind.password"));
        assertTrue(problem(map("url", "ldap://x", "base.dn", "dc=x", "pool.size", "0")).contains("pool.size"));
        assertTrue(problem(map("url", "ldap://x", "base.dn", "dc=x", "ca.file", "/nonexistent.pem")).contains("ca.file"));
        assertTrue(problem(map("url", "ldap://x", "base.dn", "dc=x", "mode", "compare", "attr.password", "")).contains("attr.password"));
    }

    @Test
    void theServiceAccountPasswordIsNotInTheDescription() {
        LdapSettings s = TestConfig.settings(map("url", "ldap://x", "base.dn", "dc=x",
                "bind.dn", "cn=reader,dc=x", "bind.password", "Sekrit-42"));
        assertFalse(s.toString().contains("Sekrit-42"));
        assertTrue(s.toString().contains("cn=reader,dc=x"));
    }
}
