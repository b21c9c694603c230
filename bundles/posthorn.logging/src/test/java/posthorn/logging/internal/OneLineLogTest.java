package posthorn.logging.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.joran.spi.JoranException;

/**
 * The shipped logback.xml, read by the real Logback, writes each event as exactly one line on
 * stderr: messages with line breaks, exceptions with causes and suppressed ones, stack overflows
 * at DEBUG; with and without the timestamp.
 */
class OneLineLogTest {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private LoggerContext context;

    private Logger configure(String timestamps) throws JoranException {
        if (timestamps == null) {
            System.clearProperty("posthorn.log.timestamps");
        } else {
            System.setProperty("posthorn.log.timestamps", timestamps);
        }
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter()); // as SLF4J's provider gives its own context
        JoranConfigurator c = new JoranConfigurator();
        c.setContext(context);
        c.doConfigure(OneLineLogTest.class.getResource("/logback.xml"));
        assertTrue(context.getStatusManager().getCopyOfStatusList().stream().noneMatch(s -> s.getLevel() > 0),
                "logback.xml reads without a warning: " + context.getStatusManager().getCopyOfStatusList());
        return context.getLogger("posthorn.test.Session");
    }

    @AfterEach
    void restore() {
        System.setErr(original);
        System.clearProperty("posthorn.log.timestamps");
        if (context != null) {
            context.stop();
        }
    }

    private List<String> lines() {
        System.err.flush();
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private static Exception chain() {
        SocketException root = new SocketException("Connection reset\nby peer");
        IOException io = new IOException("read failed", root);
        UncheckedIOException top = new UncheckedIOException("s1 FETCH", io);
        top.addSuppressed(new IllegalStateException("cleanup failed"));
        return top;
    }

    @Test
    void anExceptionWithCausesIsFoldedIntoTheEventsOneLine() throws Exception {
        Logger log = configure("false");
        log.error("s{} {} failed with an internal error", 1, "FETCH", chain());
        List<String> lines = lines();
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("ERROR Session - s1 FETCH failed with an internal error [java.io.UncheckedIOException: s1 FETCH;"
                + " suppressed java.lang.IllegalStateException: cleanup failed; caused by java.io.IOException: read failed;"
                + " caused by java.net.SocketException: Connection reset\\nby peer]", lines.get(0));
    }

    @Test
    void atDebugTheFramesFollowOnTheSameLine() throws Exception {
        Logger log = configure("false");
        log.setLevel(Level.DEBUG);
        log.error("boom", chain());
        log.debug("deep", overflow());
        List<String> lines = lines();
        assertEquals(2, lines.size(), "two events, two lines: " + lines.size());
        assertTrue(lines.get(0).contains(" | at posthorn.logging.internal.OneLineLogTest.chain(OneLineLogTest.java:"), lines.get(0));
        assertTrue(lines.get(1).startsWith("DEBUG Session - deep [java.lang.StackOverflowError | at "), lines.get(1).substring(0, 80));
        assertTrue(lines.get(1).contains(" more]"), "frames bounded");
        assertTrue(lines.get(1).length() < 10_000, "bounded: " + lines.get(1).length());
    }

    @Test
    void atInfoThereAreNoFrames() throws Exception {
        Logger log = configure("false");
        log.warn("x", chain());
        assertFalse(lines().get(0).contains(" | at "), lines().get(0));
    }

    @Test
    void lineBreaksInAMessageAreEscaped() throws Exception {
        Logger log = configure("false");
        log.info("s1 BAD unknown command {}", "A\r\nB\u0001");
        assertEquals(List.of("INFO Session - s1 BAD unknown command A\\r\\nB\\x01"), lines());
    }

    @Test
    void timestampsOnlyWhereAsked() throws Exception {
        configure("true").info("hello");
        assertTrue(lines().get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO Session - hello"),
                lines().get(0));
        assertTrue(TimestampConverter.enabled(null, "yes"));
        assertFalse(TimestampConverter.enabled(null, "no"));
        assertFalse(TimestampConverter.enabled("false", "yes"), "the launcher's property wins");
        assertTrue(TimestampConverter.enabled(null, null), "a JVM started without the launcher");
    }

    private static StackOverflowError overflow() {
        try {
            return recurse(0);
        } catch (StackOverflowError e) {
            return e;
        }
    }

    private static StackOverflowError recurse(int n) {
        return recurse(n + 1);
    }
}
