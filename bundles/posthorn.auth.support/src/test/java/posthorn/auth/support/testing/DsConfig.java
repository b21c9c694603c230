package posthorn.auth.support.testing;

import java.lang.reflect.Array;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/**
 * A component's configuration annotation built from key=value pairs spelt as in its .cfg file
 * ({@code bind.dn}, {@code pool.size} ...), with the annotation's defaults for the rest, as
 * Declarative Services builds it: a value that cannot be converted to the member's type throws
 * when it is read (DS throws ComponentException there; this throws NumberFormatException).
 * Shared by the backends' tests (this module's test-jar).
 */
public final class DsConfig {

    private DsConfig() {
    }

    /** Alternating keys and values. */
    public static Map<String, String> map(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    public static <A> A of(Class<A> type, String... kv) {
        return of(type, map(kv));
    }

    public static <A> A of(Class<A> type, Map<String, String> values) {
        Map<String, String> copy = new HashMap<>(values);
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            String key = method.getName().replace('_', '.');
            if (method.getParameterCount() > 0 || key.equals("annotationType")
                    || key.equals("hashCode") || key.equals("toString")) {
                return switch (key) {
                    case "annotationType" -> type;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "toString" -> type.getSimpleName() + copy;
                    default -> proxy == args[0];
                };
            }
            String v = copy.get(key);
            if (v == null) {
                return method.getDefaultValue();
            }
            return convert(method.getReturnType(), v);
        }));
    }

    private static Object convert(Class<?> t, String v) {
        if (t == boolean.class) {
            return Boolean.parseBoolean(v);
        }
        if (t == int.class) {
            return Integer.parseInt(v.trim());
        }
        if (t == long.class) {
            return Long.parseLong(v.trim());
        }
        if (t.isArray()) {
            String[] parts = v.split(",");
            Object a = Array.newInstance(t.getComponentType(), parts.length);
            for (int i = 0; i < parts.length; i++) {
                Array.set(a, i, convert(t.getComponentType(), parts[i].trim()));
            }
            return a;
        }
        return v;
    }
}
