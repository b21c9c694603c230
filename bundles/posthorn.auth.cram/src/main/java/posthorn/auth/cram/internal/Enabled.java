package posthorn.auth.cram.internal;

import java.util.Locale;

/** Whether a mechanism is named in {@link CramConfig#mechanisms()}. */
final class Enabled {
    private Enabled() {
    }

    static boolean in(CramConfig config, String name) {
        for (String entry : config.mechanisms()) {
            for (String part : entry.split("[,\\s]+")) {
                if (part.strip().toUpperCase(Locale.ROOT).equals(name)) {
                    return true;
                }
            }
        }
        return false;
    }
}
