package posthorn.imap.server.internal.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The allow/deny rules of imapd.cfg's {@code rules} file, as tcpserver applies tcprules' rules, read
 * from tcprules' text syntax or from the cdb tcprules compiles it to. Which rule applies to a client
 * (tcpserver's order, as tcprulescheck shows it; the first rule that fits wins, not the first line):
 * <ol>
 * <li>the exact address ({@code 1.2.3.4}; also a CIDR block of /32 or /128);
 * <li>{@code =host}, the client's host name, when it is known;
 * <li>ever shorter prefixes of the address: {@code 1.2.3.}, {@code 1.2.}, {@code 1.} (for IPv6, cut
 * after each colon of its usual text: {@code 2001:db8:}), together with CIDR blocks
 * ({@code 10.0.0.0/8}, {@code 2001:db8::/32}): the one that fixes the most bits of the address wins, a
 * tie goes to the earlier line;
 * <li>ever shorter domains of the host name: {@code =.example.com}, {@code =.com}; then {@code =}, for
 * any client whose name is known;
 * <li>the empty rule ({@code :deny});
 * <li>no rule at all: allowed, as tcpserver allows.
 * </ol>
 * CIDR blocks are Posthorn's; tcprules writes them as keys that never match, and a cdb holds none.
 * Immutable and thread-safe.
 */
public final class AccessRules {
    /** Most rules a text file may make (ranges expanded): a bound on the memory one file can take. */
    public static final int MAX_RULES = 1_000_000;

    /** No rules file: every client allowed. */
    public static final AccessRules NONE = new AccessRules("(none)", key -> null, List.of(), List.of(), Map.of(), false);

    /** A rules file that cannot be used; the message names the line (or the cdb's fault) and why. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    /** The rule that applies to a client: the rule, or null when none does (allowed). */
    public record Choice(AccessRule rule) {
        public boolean allowed() {
            return rule == null || rule.allow();
        }

        @Override
        public String toString() {
            return rule == null ? "no rule (allowed)" : rule.toString();
        }
    }

    private record Block(byte[] network, int bits, AccessRule rule) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final String source;
    private final Function<String, AccessRule> lookup;
    private final List<Block> blocks;
    private final List<AccessRule> rules;
    /** Setting names Posthorn does not read, with the first line (0 in a cdb) that has each. */
    private final Map<String, Integer> unknown;
    private final boolean hostRules;

    private AccessRules(String source, Function<String, AccessRule> lookup, List<Block> blocks, List<AccessRule> rules,
                        Map<String, Integer> unknown, boolean hostRules) {
        this.source = source;
        this.lookup = lookup;
        this.blocks = blocks;
        this.rules = rules;
        this.unknown = unknown;
        this.hostRules = hostRules;
    }

    // ---------------------------------------------------------------- choosing

    /**
     * The rule for a client.
     *
     * @param host its host name (checked both ways), or null when it is not known
     */
    public Choice choose(InetAddress client, String host) {
        byte[] a = client.getAddress();
        String ip = text(client);
        int full = a.length * 8;
        AccessRule exact = lookup.apply(ip);
        for (Block b : blocks) {
            if (b.bits == full && b.contains(a) && (exact == null || b.rule.line() < exact.line())) {
                exact = b.rule;
            }
        }
        if (exact != null) {
            return new Choice(exact);
        }
        if (host != null) {
            AccessRule r = lookup.apply("=" + host);
            if (r != null) {
                return new Choice(r);
            }
        }
        AccessRule best = null;
        int bestBits = -1;
        char sep = a.length == 4 ? '.' : ':';
        for (int i = ip.length() - 1; i >= 0; i--) {
            if (ip.charAt(i) != sep) {
                continue;
            }
            String prefix = ip.substring(0, i + 1);
            AccessRule r = lookup.apply(prefix);
            if (r != null) {
                int bits = prefixBits(ip, prefix, a.length);
                if (bits > bestBits) {
                    best = r;
                    bestBits = bits;
                }
            }
        }
        for (Block b : blocks) {
            if (b.bits < full && b.contains(a)
                    && (b.bits > bestBits || b.bits == bestBits && b.rule.line() < best.line())) {
                best = b.rule;
                bestBits = b.bits;
            }
        }
        if (best != null) {
            return new Choice(best);
        }
        if (host != null) {
            for (int i = 0; i < host.length(); i++) {
                if (host.charAt(i) == '.') {
                    AccessRule r = lookup.apply("=" + host.substring(i));
                    if (r != null) {
                        return new Choice(r);
                    }
                }
            }
            AccessRule r = lookup.apply("=");
            if (r != null) {
                return new Choice(r);
            }
        }
        return new Choice(lookup.apply(""));
    }

    /**
     * The bits of the address a text prefix of it fixes: 8 per octet of IPv4; for IPv6, 16 per group
     * before the cut, or, when the prefix holds the "::", all but the groups of the address after it
     * (so that of two prefixes of the same address the longer always counts more, as tcpserver tries
     * the longer first).
     */
    static int prefixBits(String ip, String prefix, int length) {
        if (length == 4) {
            return 8 * count(prefix, '.');
        }
        if (prefix.contains("::")) {
            String rest = ip.substring(prefix.length());
            int after = rest.isEmpty() ? 0 : count(rest, ':') + 1;
            return 128 - 16 * after;
        }
        return 16 * count(prefix, ':');
    }

    private static int count(String s, char c) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                n++;
            }
        }
        return n;
    }

    /**
     * An address as tcpserver writes it to TCPREMOTEIP and looks it up: IPv4 dotted, IPv6 in its
     * usual short form (RFC 5952: lower case, no leading zeros, the longest run of two or more zero
     * groups as "::", the first of equal runs). An IPv4-mapped address arrives as the IPv4 address.
     */
    public static String text(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] a = address.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (a[2 * i] & 0xff) << 8 | a[2 * i + 1] & 0xff;
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                b.append("::");
                i += bestLen - 1;
                continue;
            }
            if (b.length() > 0 && b.charAt(b.length() - 1) != ':') {
                b.append(':');
            }
            b.append(Integer.toHexString(g[i]));
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- what is in force

    /** Whether any rule names a host ({@code =...}): only then is a client's name looked up. */
    public boolean usesHostNames() {
        return hostRules;
    }

    /** Every rule, in the file's order. */
    public List<AccessRule> rules() {
        return rules;
    }

    /** Where the rules came from: the file and its kind. */
    public String source() {
        return source;
    }

    /** Setting names in the rules that Posthorn does not read (ignored), each with its first line. */
    public Map<String, Integer> unknownSettings() {
        return unknown;
    }

    // ---------------------------------------------------------------- reading

    private static final Pattern SETTING = Pattern.compile(",([^,=]+)=(.)");
    private static final Pattern IPV4_KEY = Pattern.compile("(\\d{1,3}\\.){0,3}\\d{1,3}|(\\d{1,3}\\.){1,4}");
    private static final Pattern RANGE = Pattern.compile("((?:\\d{1,3}\\.)*)(\\d+)-(\\d*)((?:\\.\\d{1,3})*\\.?)");

    /** Reads the text form; {@code source} names the file in messages. */
    public static AccessRules parseText(String source, String text) throws Refused {
        return parseText(source, text, MAX_RULES);
    }

    /** As {@link #parseText(String, String)}, with another bound on the rules (tests). */
    static AccessRules parseText(String source, String text, int maxRules) throws Refused {
        Map<String, AccessRule> byKey = new HashMap<>();
        List<Block> blocks = new ArrayList<>();
        List<AccessRule> all = new ArrayList<>();
        Map<String, Integer> unknown = new LinkedHashMap<>();
        boolean hostRules = false;
        String[] lines = text.split("\n", -1);
        for (int n = 1; n <= lines.length; n++) {
            String line = lines[n - 1];
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            try {
                for (AccessRule r : parseLine(line, n, unknown)) {
                    if (all.size() >= maxRules) {
                        throw new Refused("more than " + maxRules + " rules (ranges counted address by address)");
                    }
                    all.add(r);
                    if (r.key().contains("/")) {
                        blocks.add(block(r));
                    } else {
                        byKey.putIfAbsent(r.key(), r);
                    }
                    hostRules |= r.key().startsWith("=");
                }
            } catch (Refused e) {
                throw new Refused(source + " line " + n + ": " + e.getMessage());
            }
        }
        return new AccessRules(source + " (text)", byKey::get, List.copyOf(blocks), List.copyOf(all),
                Collections.unmodifiableMap(unknown), hostRules);
    }

    /** Reads the cdb tcprules writes; {@code source} names the file in messages. */
    public static AccessRules parseCdb(String source, byte[] bytes) throws Refused {
        Cdb cdb;
        try {
            cdb = Cdb.parse(bytes);
        } catch (Cdb.Malformed e) {
            throw new Refused(source + ": not a cdb tcprules wrote: " + e.getMessage());
        }
        Map<Integer, AccessRule> byPosition = new HashMap<>();
        List<AccessRule> all = new ArrayList<>();
        Map<String, Integer> unknown = new LinkedHashMap<>();
        boolean hostRules = false;
        for (Cdb.Entry e : cdb.entries()) {
            AccessRule r;
            try {
                r = fromCdb(e, unknown);
            } catch (Refused x) {
                throw new Refused(source + ": rule \"" + printable(e.key()) + "\": " + x.getMessage());
            }
            byPosition.put(e.position(), r);
            all.add(r);
            hostRules |= r.key().startsWith("=");
        }
        Function<String, AccessRule> lookup = key -> {
            Cdb.Entry e = cdb.find(key);
            return e == null ? null : byPosition.get(e.position());
        };
        return new AccessRules(source + " (cdb)", lookup, List.of(), List.copyOf(all), Collections.unmodifiableMap(unknown),
                hostRules);
    }

    /**
     * A record's data as tcpserver reads it: items ending in NUL; "D" denies, "+NAME=value" sets a
     * variable; others are ignored, as is a last item without its NUL.
     */
    private static AccessRule fromCdb(Cdb.Entry e, Map<String, Integer> unknown) throws Refused {
        boolean allow = true;
        Map<String, String> settings = new LinkedHashMap<>();
        byte[] d = e.data();
        int start = 0;
        for (int i = 0; i < d.length; i++) {
            if (d[i] != 0) {
                continue;
            }
            String item = new String(d, start, i - start, StandardCharsets.ISO_8859_1);
            start = i + 1;
            if (item.startsWith("D")) {
                allow = false;
            } else if (item.startsWith("+") && item.indexOf('=') > 0) {
                int eq = item.indexOf('=');
                settings.put(item.substring(1, eq), item.substring(eq + 1));
            }
        }
        return rule(e.key(), allow, settings, 0, unknown);
    }

    /** One line: {@code ADDRESS:allow|deny[,NAME=<d>value<d>]...}; several rules for a range. */
    private static List<AccessRule> parseLine(String line, int n, Map<String, Integer> unknown) throws Refused {
        int colon = -1;
        Map<String, String> settings = null;
        boolean allow = false;
        // the key ends at the first colon after which the instructions parse (an IPv6 key has colons)
        for (int i = line.indexOf(':'); i >= 0; i = line.indexOf(':', i + 1)) {
            String rest = line.substring(i + 1);
            String verb = rest.startsWith("allow") ? "allow" : rest.startsWith("deny") ? "deny" : null;
            if (verb == null) {
                continue;
            }
            Map<String, String> s = settings(rest.substring(verb.length()));
            if (s != null) {
                colon = i;
                settings = s;
                allow = verb.equals("allow");
                break;
            }
        }
        if (colon < 0) {
            throw new Refused(line.indexOf(':') < 0 ? "no colon: a rule is ADDRESS:allow or ADDRESS:deny"
                    : "not ADDRESS:allow or ADDRESS:deny[,NAME=\"value\"...]");
        }
        String key = line.substring(0, colon);
        List<String> keys = expand(key);
        List<AccessRule> out = new ArrayList<>(keys.size());
        for (String k : keys) {
            out.add(rule(k, allow, settings, n, unknown));
        }
        return out;
    }

    /** {@code ,NAME=<d>value<d>} repeated to the end, or null if the text is not that. */
    private static Map<String, String> settings(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        int p = 0;
        while (p < s.length()) {
            Matcher m = SETTING.matcher(s);
            m.region(p, s.length());
            if (!m.lookingAt()) {
                return null;
            }
            char delimiter = m.group(2).charAt(0);
            int end = s.indexOf(delimiter, m.end());
            if (end < 0) {
                return null;
            }
            out.putIfAbsent(m.group(1), s.substring(m.end(), end));
            p = end + 1;
        }
        return out;
    }

    /**
     * The keys a written address stands for: a range in one part of an IPv4 address or prefix
     * ({@code 1.2.3.10-20}, {@code 10.1-3.}) stands for each number in it, to 255 at most, as tcprules
     * expands it; anything else stands for itself, checked to be a form that can match.
     */
    private static List<String> expand(String key) throws Refused {
        if (key.isEmpty() || key.startsWith("=")) {
            if (key.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                throw new Refused("\"" + printable(key) + "\": a host name has no spaces or control characters");
            }
            return List.of(key);
        }
        if (key.contains("-")) {
            Matcher m = RANGE.matcher(key);
            if (!m.matches()) {
                throw new Refused("\"" + printable(key) + "\": a range is one part of an IPv4 address, FIRST-LAST");
            }
            int first = Integer.parseInt(m.group(2).length() > 4 ? "999" : m.group(2));
            int last = m.group(3).isEmpty() ? -1 : Math.min(255, Integer.parseInt(m.group(3).length() > 4 ? "999" : m.group(3)));
            if (first > last) {
                throw new Refused("\"" + key + "\": empty range (tcprules would make no rule of it)");
            }
            List<String> out = new ArrayList<>();
            for (int i = first; i <= last; i++) {
                out.add(checkAddress(m.group(1) + i + m.group(4)));
            }
            return out;
        }
        return List.of(checkAddress(key));
    }

    /** An IPv4 address or prefix, an IPv6 address (made canonical) or prefix, or a CIDR block. */
    private static String checkAddress(String key) throws Refused {
        if (key.contains("/")) {
            block(new AccessRule(key, true, Map.of(), 0, 0, 0, null));
            return key;
        }
        if (IPV4_KEY.matcher(key).matches()) {
            for (String part : key.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    throw new Refused("\"" + key + "\": " + part + " is not 0 to 255");
                }
            }
            return key;
        }
        if (key.contains(":") && key.matches("[0-9A-Fa-f:.]+")) {
            if (key.endsWith(":") && !key.endsWith("::")) {
                return key.toLowerCase(); // a prefix, matched as text: 2001:db8:
            }
            try {
                InetAddress a = InetAddress.getByName(key);
                if (a instanceof Inet6Address || a instanceof Inet4Address) {
                    String canonical = text(a);
                    // a prefix ending in "::" is also an address; keep it as written
                    return key.endsWith("::") ? key.toLowerCase() : canonical;
                }
            } catch (UnknownHostException e) {
                // below
            }
        }
        throw new Refused("\"" + printable(key) + "\" is not an address, a prefix (1.2.3.), =host, a CIDR block or empty");
    }

    private static Block block(AccessRule r) throws Refused {
        String key = r.key();
        int slash = key.indexOf('/');
        String host = key.substring(0, slash);
        String bitsText = key.substring(slash + 1);
        boolean v4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = host.contains(":") && host.matches("[0-9A-Fa-f:.]+");
        byte[] network;
        try {
            if (!v4 && !v6) {
                throw new UnknownHostException();
            }
            network = InetAddress.getByName(host).getAddress();
        } catch (UnknownHostException e) {
            throw new Refused("\"" + printable(key) + "\" is not a CIDR block (ADDRESS/BITS)");
        }
        int max = network.length * 8;
        if (!bitsText.matches("\\d{1,3}") || Integer.parseInt(bitsText) > max) {
            throw new Refused("\"" + key + "\" has a prefix length that is not 0 to " + max);
        }
        return new Block(network, Integer.parseInt(bitsText), r);
    }

    /** A rule with its settings read: values Posthorn reads are checked, other names noted. */
    private static AccessRule rule(String key, boolean allow, Map<String, String> settings, int line,
                                   Map<String, Integer> unknown) throws Refused {
        int maxPerIp = 0;
        int maxConnections = 0;
        Boolean plaintext = null;
        for (Map.Entry<String, String> s : settings.entrySet()) {
            String v = s.getValue().strip();
            switch (s.getKey()) {
                case AccessRule.MAX_PER_IP -> maxPerIp = positive(s.getKey(), v);
                case AccessRule.MAX_CONNECTIONS -> maxConnections = positive(s.getKey(), v);
                case AccessRule.ALLOW_PLAINTEXT -> {
                    if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
                        throw new Refused(s.getKey() + "=\"" + printable(v) + "\": neither true nor false");
                    }
                    plaintext = Boolean.parseBoolean(v);
                }
                default -> unknown.putIfAbsent(s.getKey(), line);
            }
        }
        return new AccessRule(key, allow, Collections.unmodifiableMap(new LinkedHashMap<>(settings)), line, maxPerIp,
                maxConnections, plaintext);
    }

    private static int positive(String name, String v) throws Refused {
        if (!v.matches("\\d{1,10}") || Long.parseLong(v) < 1 || Long.parseLong(v) > Integer.MAX_VALUE) {
            throw new Refused(name + "=\"" + printable(v) + "\": not a whole number from 1 to " + Integer.MAX_VALUE);
        }
        return Integer.parseInt(v);
    }

    /** Text for a log line: control characters escaped, long text cut. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (b.length() >= 80) {
                b.append("...");
                break;
            }
            b.append(ch < 0x20 || ch >= 0x7f ? String.format("\\x%02x", (int) ch) : String.valueOf(ch));
        }
        return b.toString();
    }

    /** The names in {@link #unknownSettings}, sorted, for a log line. */
    public String unknownNames() {
        return String.join(", ", new TreeSet<>(unknown.keySet()));
    }
}
