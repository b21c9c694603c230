package posthorn.auth.ldap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.RDN;

class LdapEscapeTest {

    private static final String FILTER = "(&(objectClass=posixAccount)(uid=%u))";
    private static final String TEMPLATE = "uid=%u,ou=people,dc=example,dc=org";

    @Test
    void filterValuesAreEscapedPerRfc4515() throws Exception {
        assertEquals("(&(objectClass=posixAccount)(uid=\\2a\\29\\28uid=\\2a))",
                LdapEscape.filter(FILTER, "*)(uid=*").toString());
        assertEquals("(uid=admin\\29\\28|\\28uid=\\2a)", LdapEscape.filter("(uid=%u)", "admin)(|(uid=*").toString());
        assertEquals("(uid=\\5c2a)", LdapEscape.filter("(uid=%u)", "\\2a").toString());
        assertEquals("(uid=alice\\00)", LdapEscape.filter("(uid=%u)", "alice\0").toString());
    }

    @Test
    void anEscapedFilterIsOneEqualityAssertionWithTheRawValue() throws Exception {
        for (String user : new String[] {"*)(uid=*", "admin)(|(uid=*", "\\2a", "a\0b", "*", "x)(objectClass=*"}) {
            Filter f = LdapEscape.filter("(uid=%u)", user);
            assertEquals(Filter.FILTER_TYPE_EQUALITY, f.getFilterType(), user);
            assertEquals(user, f.getAssertionValue(), user);
        }
    }

    @Test
    void dnValuesAreEscapedPerRfc4514() throws Exception {
        for (String user : new String[] {"a,b", "admin,ou=people,dc=example,dc=org", "x+cn=y", " lead", "trail ",
                "#hash", "back\\slash", "q\"uote", "<>;=", "nul\0", "*"}) {
            DN dn = LdapEscape.dn(TEMPLATE, user);
            RDN[] rdns = dn.getRDNs();
            assertEquals(4, rdns.length, user);
            assertEquals(1, rdns[0].getAttributeValues().length, user);
            assertEquals(user, rdns[0].getAttributeValues()[0], user);
            assertEquals(new DN("ou=people,dc=example,dc=org"), dn.getParent(), user);
        }
    }
}
