package posthorn.imap.server.internal.net;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A throwable as one log line's worth of text: its class and message, then its causes, e.g.
 * {@code java.io.IOException: x; caused by java.net.SocketException: y}. Line breaks in messages
 * become spaces, and the chain stops after {@link #MAX_CAUSES} causes or at a cycle.
 */
public final class Throwables {
    static final int MAX_CAUSES = 4;

    private Throwables() {
    }

    public static String oneLine(Throwable t) {
        StringBuilder b = new StringBuilder();
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        int n = 0;
        for (Throwable c = t; c != null && seen.put(c, Boolean.TRUE) == null; c = c.getCause()) {
            if (n > 0) {
                b.append("; caused by ");
            }
            if (n++ > MAX_CAUSES) {
                b.append("...");
                break;
            }
            b.append(c.getClass().getName());
            String m = c.getMessage();
            if (m != null) {
                b.append(": ").append(m.replaceAll("[\\r\\n]+", " "));
            }
        }
        return b.toString();
    }
}
