package posthorn.imap.server.internal.net;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import posthorn.auth.support.keys.ConfigKeys;

/**
 * imapd.cfg as ConfigurationAdmin hands it over (strings from FileInstall's .cfg files; typed values
 * from other sources) made into an {@link ImapdConfig} whose every value was checked: its type, its
 * range, the files it names. What DS would do instead is convert each value when it is read, so that
 * {@code max.per.ip=lots} is accepted and fails later, in the accept thread.
 *
 * <p>A value that does not fit refuses the whole configuration, not only its key: one edit of the
 * file is one change of settings, applied whole or not at all, and the caller keeps the configuration
 * it has. A key that is not in the file takes its default. A key within a slip of a setting's
 * ({@code max.per.ipp}, {@code max_per_ip}) refuses the file too, naming the setting it was probably
 * meant to be; other keys that are not settings are ignored ({@link #ignoredKeys}, logged), and so are
 * the ones ConfigurationAdmin and FileInstall add (service.pid, felix.fileinstall.filename).
 */
public final class ImapdSettings {
    /** Seconds that still fit in an int once turned into milliseconds for a socket timeout. */
    private static final long MAX_SECONDS = Integer.MAX_VALUE / 1000;

    /** The allowed range of each numeric key; a numeric key not named here must not be negative. */
    private static final Map<String, long[]> RANGES = Map.ofEntries(
            Map.entry("port", new long[] {0, 65535}),
            Map.entry("tls.port", new long[] {0, 65535}),
            Map.entry("max.connections", new long[] {1, Integer.MAX_VALUE}),
            Map.entry("max.per.ip", new long[] {1, Integer.MAX_VALUE}),
            Map.entry("idle.timeout", new long[] {1, MAX_SECONDS}),
            Map.entry("login.timeout", new long[] {1, MAX_SECONDS}),
            Map.entry("write.timeout", new long[] {1, MAX_SECONDS}),
            Map.entry("line.max", new long[] {1024, Integer.MAX_VALUE}),
            Map.entry("line.max.prelogin", new long[] {1024, Integer.MAX_VALUE}),
            Map.entry("nesting.max", new long[] {1, 1000}),
            Map.entry("max.bad.logins", new long[] {1, Integer.MAX_VALUE}),
            Map.entry("auth.delay.window", new long[] {1, MAX_SECONDS}),
            Map.entry("log.repeat.window", new long[] {1, MAX_SECONDS}),
            Map.entry("rules.dns.timeout", new long[] {0, 60_000}),
            Map.entry("proxy.timeout", new long[] {1, 300}),
            Map.entry("fetch.readahead.kb", new long[] {0, 1_048_576}),
            Map.entry("notify.max.mailboxes", new long[] {1, 100_000}),
            Map.entry("inprogress.interval", new long[] {100, 3_600_000}),
            Map.entry("url.max.length", new long[] {64, 65_536}),
            Map.entry("catenate.max.parts", new long[] {1, 10_000}),
            Map.entry("urlauth.keys.max", new long[] {1, 100_000}),
            Map.entry("metadata.max.size", new long[] {1, 16_777_216}),
            Map.entry("metadata.max.entries", new long[] {1, 100_000}),
            Map.entry("metadata.max.name", new long[] {16, 65_536}),
            Map.entry("compress.level", new long[] {1, 9}),
            Map.entry("search.update.max", new long[] {0, 1000}));

    /** A value that does not fit its key. */
    public static final class BadValue extends Exception {
        private final String key;

        BadValue(String key, Object value, String reason) {
            super(key + "=" + printable(value) + ": " + reason);
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    private ImapdSettings() {
    }

    /**
     * The keys of {@code properties} that are no setting and no near miss of one (those refuse the
     * file in {@link #read}), for the log: they are ignored.
     */
    public static List<String> ignoredKeys(Map<String, ?> properties) {
        return ConfigKeys.unknown(properties.keySet(), keys()).stream().filter(p -> !p.refuse())
                .map(ConfigKeys.Problem::key).toList();
    }

    /** The settings' keys, by name. */
    public static List<String> keys() {
        return methods().stream().map(ImapdSettings::key).toList();
    }

    /**
     * Checks every setting in {@code properties} and returns them as an ImapdConfig that answers
     * without converting anything.
     *
     * @throws BadValue for the first value that does not fit (keys by name, then the checks that
     *                  involve several keys)
     */
    public static ImapdConfig read(Map<String, ?> properties) throws BadValue {
        for (ConfigKeys.Problem p : ConfigKeys.unknown(properties.keySet(), keys())) {
            if (p.refuse()) {
                throw new BadValue(p.key(), properties.get(p.key()), p.reason());
            }
        }
        Map<String, Object> values = new HashMap<>();
        for (Method m : methods()) {
            String key = key(m);
            Object raw = properties.get(key);
            values.put(m.getName(), raw == null ? m.getDefaultValue() : convert(key, raw, m.getReturnType()));
        }
        ImapdConfig c = proxy(values);
        check(c, properties);
        return c;
    }

    /** Ranges, addresses, files: what a value of the right type must also be. */
    private static void check(ImapdConfig c, Map<String, ?> raw) throws BadValue {
        for (Method m : methods()) {
            String key = key(m);
            Object v;
            try {
                v = m.invoke(c);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (v instanceof Number n) {
                long[] range = RANGES.getOrDefault(key, new long[] {0, Long.MAX_VALUE});
                if (n.longValue() < range[0] || n.longValue() > range[1]) {
                    throw new BadValue(key, raw.get(key), range[1] == Long.MAX_VALUE || range[1] == Integer.MAX_VALUE
                            ? "must be at least " + range[0] : "must be from " + range[0] + " to " + range[1]);
                }
            } else if (v instanceof String s) {
                checkText(key, s);
            } else if (v instanceof String[] a) {
                for (String s : a) {
                    checkText(key, s);
                }
            }
        }
        if (c.bind().isBlank()) {
            throw new BadValue("bind", c.bind(), "an address is needed (0.0.0.0 or :: for every address)");
        }
        try {
            InetAddress.getByName(c.bind());
        } catch (UnknownHostException e) {
            throw new BadValue("bind", c.bind(), "not an address of this host");
        }
        if (c.tls_port() != 0 && c.tls_port() == c.port()) {
            throw new BadValue("tls.port", c.tls_port(), "the same port as port");
        }
        if (!c.hostname().isEmpty() && !c.hostname().matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
            throw new BadValue("hostname", c.hostname(), "not a host name");
        }
        try {
            TrustedNetworks.parse(c.trusted_networks());
        } catch (IllegalArgumentException e) {
            throw new BadValue("trusted.networks", c.trusted_networks(), e.getMessage());
        }
        try {
            TrustedNetworks.parse(c.proxy_trusted());
        } catch (IllegalArgumentException e) {
            throw new BadValue("proxy.trusted", c.proxy_trusted(), e.getMessage());
        }
        if (!c.literal_nonsync().equals("LITERAL+") && !c.literal_nonsync().equals("LITERAL-")) {
            throw new BadValue("literal.nonsync", c.literal_nonsync(), "must be LITERAL+ or LITERAL-");
        }
        if (!c.namespace_prefix().isEmpty() && !c.namespace_prefix().equals("INBOX.")) {
            throw new BadValue("namespace.prefix", c.namespace_prefix(), "must be empty or INBOX.");
        }
        if (!c.rules().isBlank()) {
            try {
                RulesFile.load(c.rules());
            } catch (AccessRules.Refused e) {
                throw new BadValue("rules", c.rules(), e.getMessage());
            }
        }
        if (!c.tls_selfsigned()) {
            file("tls.cert", c.tls_cert());
            file("tls.key", c.tls_key());
        }
    }

    /** No control characters: a value is one line of text. */
    private static void checkText(String key, String s) throws BadValue {
        if (s.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            throw new BadValue(key, s, "contains a control character");
        }
    }

    /** A file the server reads: if named, it must be there and readable (made only with tls.selfsigned). */
    private static void file(String key, String name) throws BadValue {
        if (name.isBlank()) {
            return;
        }
        Path p;
        try {
            p = Path.of(name);
        } catch (InvalidPathException e) {
            throw new BadValue(key, name, "not a file name");
        }
        if (!Files.isRegularFile(p)) {
            throw new BadValue(key, name, "no such file (tls.selfsigned=true would make one)");
        }
        if (!Files.isReadable(p)) {
            throw new BadValue(key, name, "not readable by the server");
        }
    }

    private static Object convert(String key, Object raw, Class<?> type) throws BadValue {
        Object scalar = raw;
        if (type != String[].class) {
            if (raw instanceof Collection<?> col) {
                scalar = col.size() == 1 ? col.iterator().next() : raw;
            } else if (raw.getClass().isArray() && Array.getLength(raw) == 1) {
                scalar = Array.get(raw, 0);
            }
            if (scalar instanceof Collection<?> || scalar.getClass().isArray()) {
                throw new BadValue(key, raw, "one value expected");
            }
        }
        if (type == int.class || type == long.class) {
            long n;
            if (scalar instanceof Integer || scalar instanceof Long || scalar instanceof Short || scalar instanceof Byte) {
                n = ((Number) scalar).longValue();
            } else if (scalar instanceof String s && s.trim().matches("[+-]?\\d{1,19}")) {
                try {
                    n = Long.parseLong(s.trim());
                } catch (NumberFormatException e) {
                    throw new BadValue(key, raw, "out of range");
                }
            } else {
                throw new BadValue(key, raw, "not a whole number");
            }
            if (type == int.class) {
                if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
                    throw new BadValue(key, raw, "out of range");
                }
                return (int) n;
            }
            return n;
        }
        if (type == boolean.class) {
            if (scalar instanceof Boolean b) {
                return b;
            }
            String s = String.valueOf(scalar).strip();
            if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(s);
            }
            throw new BadValue(key, raw, "neither true nor false");
        }
        if (type == String.class) {
            return String.valueOf(scalar).strip();
        }
        if (type == String[].class) {
            List<String> list = new ArrayList<>();
            if (raw instanceof Collection<?> col) {
                col.forEach(o -> list.add(String.valueOf(o).strip()));
            } else if (raw.getClass().isArray()) {
                for (int i = 0; i < Array.getLength(raw); i++) {
                    list.add(String.valueOf(Array.get(raw, i)).strip());
                }
            } else {
                list.add(String.valueOf(raw).strip());
            }
            return list.toArray(new String[0]);
        }
        throw new IllegalStateException("ImapdConfig." + key + " has a type no setting has yet: " + type);
    }

    private static ImapdConfig proxy(Map<String, Object> values) {
        Map<String, Object> shown = new LinkedHashMap<>();
        for (Method m : methods()) {
            Object v = values.get(m.getName());
            shown.put(key(m), v instanceof String[] a ? Arrays.toString(a) : v);
        }
        String text = "imapd" + shown;
        return (ImapdConfig) Proxy.newProxyInstance(ImapdConfig.class.getClassLoader(), new Class<?>[] {ImapdConfig.class},
                (proxy, m, args) -> switch (m.getName()) {
                    case "annotationType" -> ImapdConfig.class;
                    case "toString" -> text;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> {
                        Object v = values.get(m.getName());
                        yield v instanceof String[] a ? a.clone() : v;
                    }
                });
    }

    /** The settings: ImapdConfig's methods, by name, so that the first bad value named is always the same. */
    private static List<Method> methods() {
        return Arrays.stream(ImapdConfig.class.getDeclaredMethods())
                .filter(m -> m.getParameterCount() == 0 && m.getDefaultValue() != null)
                .sorted(Comparator.comparing(Method::getName))
                .toList();
    }

    /** The key DS reads a setting from: the method name with '_' as '.'. */
    static String key(Method m) {
        return m.getName().replace('_', '.');
    }

    /** A value for a log line: control characters escaped, long values cut. */
    private static String printable(Object value) {
        String s = value == null ? "" : value.getClass().isArray() ? Arrays.toString(arrayOf(value)) : String.valueOf(value);
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (b.length() >= 80) {
                b.append("...");
                break;
            }
            b.append(ch < 0x20 || ch == 0x7f ? String.format("\\x%02x", (int) ch) : String.valueOf(ch));
        }
        return b.toString();
    }

    private static Object[] arrayOf(Object array) {
        Object[] out = new Object[Array.getLength(array)];
        for (int i = 0; i < out.length; i++) {
            out[i] = Array.get(array, i);
        }
        return out;
    }
}
