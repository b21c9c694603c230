package posthorn.imap.server.admin;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/** The access rules in force (imapd.cfg's {@code rules} file), and which rule applies to a client. */
@ProviderType
public interface AccessRulesView {

    /**
     * The rules in force.
     *
     * @param source  the file and its kind ("/etc/tcprules/imap.cdb (cdb)"), or "(none)"
     * @param rules   every rule in the file's order, as tcprules writes it ({@code 127.:allow,max.per.ip="5"})
     * @param ignored setting names in the rules that Posthorn does not read
     */
    record Rules(String source, List<String> rules, List<String> ignored) {
    }

    /**
     * The rule that applies to one client.
     *
     * @param address  the address as the rules see it (IPv6 in its short form)
     * @param host     the host name the rules were asked with, or null
     * @param rule     the rule as tcprules writes it, or null when none applies
     * @param line     the rule's line in a text file; 0 for a cdb or no rule
     * @param allowed  whether the client may connect (no rule: yes, as tcpserver)
     * @param settings the rule's settings, in order
     */
    record Choice(String address, String host, String rule, int line, boolean allowed, Map<String, String> settings) {
    }

    Rules rules();

    /**
     * The rule for a client at this address, with this host name: empty for none (as when it has
     * no name or the name does not check out); null to look it up as the server does for a
     * connection (only when the rules name hosts and rules.dns.timeout is not 0).
     *
     * @throws IllegalArgumentException if {@code address} is not an IP address (no name is looked up)
     */
    Choice choose(String address, String host);
}
