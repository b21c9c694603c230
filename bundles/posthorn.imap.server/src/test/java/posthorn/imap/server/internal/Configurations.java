package posthorn.imap.server.internal;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * Instances of DS configuration annotations for unit tests: the given values by key (the method name
 * with '_' as '.', as DS maps them), the annotation's defaults otherwise.
 */
public final class Configurations {
    private Configurations() {
    }

    @SuppressWarnings("unchecked")
    public static <A extends Annotation> A of(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            String key = m.getName().replace('_', '.');
            if (values.containsKey(key)) {
                return values.get(key);
            }
            if (m.getDefaultValue() != null) {
                return m.getDefaultValue();
            }
            return switch (m.getName()) {
                case "annotationType" -> type;
                case "toString" -> type.getSimpleName() + values;
                case "hashCode" -> values.hashCode();
                case "equals" -> proxy == args[0];
                default -> throw new IllegalStateException("no value for " + type.getSimpleName() + "." + m.getName());
            };
        });
    }
}
