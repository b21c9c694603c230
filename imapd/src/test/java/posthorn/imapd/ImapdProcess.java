package posthorn.imapd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code posthorn imapd} as a real process: this JVM's java and class path, PreauthMain, the given
 * arguments and environment. Standard output is read line by line as a client reads it; standard
 * error is collected whole (the log).
 */
public final class ImapdProcess implements AutoCloseable {
    private final Process process;
    private final InputStream out;
    private final OutputStream in;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread errReader;

    public ImapdProcess(Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                PreauthMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(cmd);
        b.environment().remove("MAILDIR");
        b.environment().remove("POSTHORN_CONF");
        b.environment().putAll(env);
        process = b.start();
        out = process.getInputStream();
        in = process.getOutputStream();
        errReader = Thread.ofPlatform().daemon().start(() -> {
            try {
                process.getErrorStream().transferTo(err);
            } catch (IOException e) {
                // process gone
            }
        });
    }

    /** The next line of standard output without its CRLF, or null at its end. */
    public String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = out.read()) >= 0) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.UTF_8);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
    }

    /** Reads lines up to the tagged response of {@code tag}; returns them all, that one last. */
    public List<String> until(String tag) throws IOException {
        List<String> lines = new ArrayList<>();
        String l;
        while ((l = line()) != null) {
            lines.add(l);
            if (l.startsWith(tag + " ")) {
                return lines;
            }
        }
        throw new IOException("standard output ended before " + tag + "'s answer: " + lines + "; log: " + log());
    }

    /** Sends a line with CRLF. */
    public ImapdProcess send(String line) throws IOException {
        return sendRaw((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    public ImapdProcess sendRaw(byte[] bytes) throws IOException {
        in.write(bytes);
        in.flush();
        return this;
    }

    /** Closes standard input: the client hangs up. */
    public void closeInput() throws IOException {
        in.close();
    }

    /** Everything after the last line read, to the end of standard output. */
    public String rest() throws IOException {
        return new String(out.readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Waits for the exit (at most 30 s) and returns the status. */
    public int exit() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("imapd did not exit within 30 s; log: " + log());
        }
        return process.exitValue();
    }

    /** Standard error so far (complete once the process exited). */
    public String log() {
        try {
            if (!process.isAlive()) {
                errReader.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8);
        }
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
