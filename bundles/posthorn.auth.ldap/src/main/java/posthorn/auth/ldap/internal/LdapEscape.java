package posthorn.auth.ldap.internal;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;

/**
 * Puts a login name into a search filter (RFC 4515) or a DN (RFC 4514), escaped so that no login
 * name can change the filter's or the DN's structure. Stateless and thread-safe.
 */
final class LdapEscape {

    /** The placeholder for the login name in {@code filter} and {@code dn.template}. */
    static final String USER = "%u";

    private LdapEscape() {
    }

    /**
     * The filter template with every {@code %u} replaced by the login name escaped as an RFC 4515
     * assertion value ({@code *}, {@code (}, {@code )}, {@code \} and NUL become {@code \2a} ...).
     *
     * @throws LDAPException if the template is not a valid filter
     */
    static Filter filter(String template, String user) throws LDAPException {
        return Filter.create(template.replace(USER, Filter.encodeValue(user)));
    }

    /**
     * The DN template with every {@code %u} replaced by the login name escaped as an RFC 4514
     * attribute value. The result is parsed and must have as many RDNs as the template, which
     * holds by construction and is checked again as defence in depth.
     *
     * @throws LDAPException if the result is not a valid DN
     */
    static DN dn(String template, String user) throws LDAPException {
        DN dn = new DN(template.replace(USER, dnValue(user)));
        int expected = new DN(template.replace(USER, "x")).getRDNs().length;
        if (dn.getRDNs().length != expected) {
            throw new LDAPException(com.unboundid.ldap.sdk.ResultCode.PARAM_ERROR,
                    "login name changes the structure of dn.template");
        }
        return dn;
    }

    /** Escapes an attribute value for a DN string, RFC 4514 section 2.4. */
    static String dnValue(String value) {
        StringBuilder b = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"', '+', ',', ';', '<', '>', '\\', '=' -> b.append('\\').append(c);
                case '#' -> b.append(i == 0 ? "\\#" : "#");
                case ' ' -> b.append(i == 0 || i == value.length() - 1 ? "\\ " : " ");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append('\\').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
