package posthorn.imap.server.internal.net;

import java.util.Map;

/**
 * One rule of the rules file: the address it is for as written ({@code 192.168.1.}, {@code =host},
 * {@code 10.0.0.0/8}, empty for the default), allow or deny, and the settings it gives the clients it
 * matches, in the order written (tcprules' {@code ,NAME="value"}). The settings Posthorn knows are read
 * when the file is read ({@link AccessRules}); others are kept, shown and ignored.
 *
 * @param key          the address as written (after a range such as {@code 1.2.3.1-9} was expanded)
 * @param allow        false for deny
 * @param settings     every NAME=value of the rule, in order
 * @param line         the line of the text file, or 0 for a rule read from a cdb
 * @param maxPerIp     max.per.ip for these clients, or 0 for imapd.cfg's
 * @param maxConnections connections at once from all clients this rule matches, or 0 for no such limit
 * @param plaintext    allow.plaintext for these clients, or null for imapd.cfg's policy
 */
public record AccessRule(String key, boolean allow, Map<String, String> settings, int line, int maxPerIp,
                         int maxConnections, Boolean plaintext) {

    /** The setting names Posthorn reads; any other is ignored (and named once in the log). */
    public static final String MAX_PER_IP = "max.per.ip";
    public static final String MAX_CONNECTIONS = "max.connections";
    public static final String ALLOW_PLAINTEXT = "allow.plaintext";

    /** The rule as tcprules writes it: {@code 127.:allow,max.per.ip="5"}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(key).append(':').append(allow ? "allow" : "deny");
        settings.forEach((k, v) -> {
            char d = "\"|/'#!".chars().filter(c -> v.indexOf(c) < 0).mapToObj(c -> (char) c).findFirst().orElse('\u0001');
            b.append(',').append(k).append('=').append(d).append(v).append(d);
        });
        return b.toString();
    }
}
