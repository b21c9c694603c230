package posthorn.auth.ldap.internal;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@link LdapBackend.Config} from key=value pairs spelt as in auth.ldap.cfg ({@code bind.dn},
 * {@code attr.home} ...), with the annotation's defaults for the rest, the way DS builds it.
 */
final class TestConfig {
    private TestConfig() {
    }

    static LdapBackend.Config of(Map<String, String> values) {
        Map<String, String> copy = new HashMap<>(values);
        return (LdapBackend.Config) Proxy.newProxyInstance(TestConfig.class.getClassLoader(),
                new Class<?>[] {LdapBackend.Config.class}, (proxy, method, args) -> {
                    String key = method.getName().replace('_', '.');
                    if (method.getParameterCount() > 0 || key.equals("annotationType")
                            || key.equals("hashCode") || key.equals("toString")) {
                        return switch (key) {
                            case "annotationType" -> LdapBackend.Config.class;
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "toString" -> "Config" + copy;
                            default -> proxy == args[0];
                        };
                    }
                    String v = copy.get(key);
                    if (v == null) {
                        return method.getDefaultValue();
                    }
                    Class<?> t = method.getReturnType();
                    if (t == boolean.class) {
                        return Boolean.parseBoolean(v);
                    }
                    if (t == int.class) {
                        return Integer.parseInt(v);
                    }
                    return v;
                });
    }

    static LdapSettings settings(Map<String, String> values) {
        return LdapSettings.of(of(values));
    }

    /** Convenience: alternating keys and values. */
    static Map<String, String> map(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
