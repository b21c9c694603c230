package posthorn.auth.support.keys;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What Declarative Services does not check in a configuration file: keys that are not settings, and
 * booleans. DS ignores a key it does not know, so {@code max.per.ipp=5} or {@code chain.timout=3}
 * silently leaves the default in force; and it reads any boolean text but {@code true} as false, so
 * {@code create=yes} turns a setting off. Here a key within two edits (or a different separator or
 * case) of a known one is a {@link Problem#refuse refusal} naming the key it was probably meant to be,
 * another unknown key is a problem to log, and a boolean must say {@code true} or {@code false}.
 *
 * <p>Keys that ConfigurationAdmin, FileInstall and DS put into every configuration
 * ({@code service.*}, {@code felix.*}, {@code component.*}) are not the operator's and are skipped.
 * No dependency beyond the JDK: the server and the store inline this package too.
 */
public final class ConfigKeys {

    private ConfigKeys() {
    }

    /**
     * A problem with one key.
     *
     * @param key    the key as written in the file
     * @param reason why, in words for the log line (never the value: it may be a secret)
     * @param refuse whether the file is to be refused (a near-miss key, a bad boolean) or the key only
     *               logged (an unknown key like no setting)
     */
    public record Problem(String key, String reason, boolean refuse) {
    }

    /** The keys of a DS configuration annotation, as they are written in a file: {@code max_uid} is {@code max.uid}. */
    public static Set<String> of(Class<? extends Annotation> config) {
        Set<String> keys = new TreeSet<>();
        for (Method m : config.getDeclaredMethods()) {
            keys.add(key(m));
        }
        return keys;
    }

    /** DS's mapping of an annotation member's name to a property name (OSGi Compendium 112.8.2.2), for the names used here. */
    static String key(Method m) {
        return m.getName().replace("__", "\u0000").replace('_', '.').replace('\u0000', '_').replace("$", "");
    }

    /** Every problem of {@code properties} against the annotation {@code config}, refusals first. */
    public static List<Problem> check(Map<String, ?> properties, Class<? extends Annotation> config) {
        List<Problem> refusals = new ArrayList<>();
        List<Problem> notes = new ArrayList<>();
        Set<String> known = of(config);
        for (Method m : config.getDeclaredMethods()) {
            Object v = properties.get(key(m));
            if (m.getReturnType() == boolean.class && v instanceof String s
                    && !s.strip().equalsIgnoreCase("true") && !s.strip().equalsIgnoreCase("false")) {
                refusals.add(new Problem(key(m), "must be true or false", true));
            }
        }
        for (Problem p : unknown(properties.keySet(), known)) {
            (p.refuse() ? refusals : notes).add(p);
        }
        refusals.addAll(notes);
        return refusals;
    }

    /** The keys of {@code present} that are not in {@code known} (nor infrastructure), each with its problem. */
    public static List<Problem> unknown(Collection<String> present, Collection<String> known) {
        List<Problem> out = new ArrayList<>();
        for (String key : new TreeSet<>(present)) {
            if (known.contains(key) || infrastructure(key)) {
                continue;
            }
            String close = closest(key, known);
            out.add(close != null
                    ? new Problem(key, "unknown key; did you mean " + close + "?", true)
                    : new Problem(key, "unknown key, ignored", false));
        }
        return out;
    }

    /**
     * One value of a DS configuration, read: DS converts a value when it is read and throws if it
     * cannot ({@code chain.timeout=soon}); that becomes an IllegalArgumentException naming the key,
     * {@code "KEY: not a valid value"} (never the value: it may be a secret).
     */
    public static <T> T read(String key, java.util.function.Supplier<T> value) {
        try {
            return value.get();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + ": not a valid value");
        }
    }

    /**
     * Whether ConfigurationAdmin, FileInstall or DS put the key there: their own keys, and the
     * component's own properties (Posthorn's are named {@code posthorn.*}, e.g. an auth backend's
     * {@code posthorn.auth.backend}), which DS hands over with the file's.
     */
    public static boolean infrastructure(String key) {
        return key.startsWith("service.") || key.startsWith("felix.") || key.startsWith("component.")
                || key.startsWith("osgi.") || key.startsWith("posthorn.") || key.startsWith(".");
    }

    /** The known key that {@code key} is probably a slip for, or null. */
    public static String closest(String key, Collection<String> known) {
        String folded = fold(key);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            if (fold(k).equals(folded)) {
                return k;
            }
            int limit = Math.min(2, Math.max(1, k.length() / 4));
            int d = distance(key.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT), limit);
            if (d <= limit && d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    private static String fold(String key) {
        return key.toLowerCase(Locale.ROOT).replaceAll("[._\\-\\s]", "");
    }

    /**
     * Optimal string alignment distance (insertions, deletions, substitutions, swaps of neighbours),
     * or {@code limit + 1} as soon as it is certain to exceed {@code limit}.
     */
    static int distance(String a, String b, int limit) {
        if (Math.abs(a.length() - b.length()) > limit) {
            return limit + 1;
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int rowMin = Integer.MAX_VALUE;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
                rowMin = Math.min(rowMin, v);
            }
            if (rowMin > limit) {
                return limit + 1;
            }
        }
        return d[a.length()][b.length()];
    }
}
