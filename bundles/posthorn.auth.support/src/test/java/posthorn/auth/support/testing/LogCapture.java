package posthorn.auth.support.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What is logged while it is open, for tests that count log lines: slf4j-simple (the tests' SLF4J
 * provider) writes to whatever System.err is at the time, so this swaps System.err for a buffer
 * and, on close, puts the original back and replays the text to it. Shared by the backends' tests
 * (this module's test-jar). Not for tests that run in parallel.
 */
public final class LogCapture implements AutoCloseable {

    private final PrintStream original = System.err;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    public LogCapture() {
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }

    public String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The lines logged at {@code level} (WARN, INFO ...) by loggers whose name starts with {@code logger}. */
    public List<String> lines(String level, String logger) {
        return text().lines().filter(l -> l.contains("] " + level + " " + logger)).toList();
    }

    /** Every line logged at {@code level}, by any logger. */
    public List<String> lines(String level) {
        return lines(level, "");
    }

    @Override
    public void close() {
        System.setErr(original);
        original.print(text());
    }
}
