/*
 * IdleLoad: holds many IMAP IDLE sessions against one server and times outside deliveries to the
 * EXISTS every session on the folder sees. A single-file program (java tools/idle-load/IdleLoad.java),
 * no dependencies: it proves the server can hold N sessions (issue 14); ./posthorn bench records it.
 *
 *   java tools/idle-load/IdleLoad.java --port 1143 --user idle --pass secret --maildir /path/Maildir \
 *        --sessions 100000 --folders 100 --sources 16 --deliveries 20 [--pid SERVER_PID] [--host 127.0.0.1]
 *
 * Sessions log in, SELECT one of the folders INBOX.f0 .. INBOX.f{N-1} (round robin; --folders 0 means
 * INBOX) and IDLE. One loopback address pair gives about 28,000 ephemeral ports, so connections come
 * from 127.0.0.2, 127.0.0.3, ... (--sources of them). Each connection reads with a 256-byte buffer on
 * a virtual thread, so the client stays small at 100,000 sessions (mostly kernel socket memory).
 * Deliveries are written as an MDA writes them (tmp/ then rename into new/) into one folder at a time;
 * the latency of a delivery is, for every session on that folder, the time from the rename to the
 * untagged EXISTS reaching it. With --pid the server's PSS (/proc/PID/smaps_rollup) is read before
 * the ramp and once all sessions idle, for the memory per session.
 *
 * Needs open files: ulimit -n above the session count (as root: ulimit -Hn 1048576; ulimit -Sn 1048576).
 */
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

public final class IdleLoad {
    static String host = "127.0.0.1";
    static int port;
    static String user;
    static String pass;
    static Path maildir;
    static int sessions = 1000;
    static int folders = 0;
    static int sources = 8;
    static int deliveries = 10;
    static int concurrency = 128;
    static long pid = 0;
    static int timeoutSeconds = 30;
    static int holdSeconds = 0;

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--user" -> user = args[++i];
                case "--pass" -> pass = args[++i];
                case "--maildir" -> maildir = Path.of(args[++i]);
                case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                case "--folders" -> folders = Integer.parseInt(args[++i]);
                case "--sources" -> sources = Integer.parseInt(args[++i]);
                case "--deliveries" -> deliveries = Integer.parseInt(args[++i]);
                case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                case "--pid" -> pid = Long.parseLong(args[++i]);
                case "--timeout" -> timeoutSeconds = Integer.parseInt(args[++i]);
                case "--hold" -> holdSeconds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (value " + v + ")");
            }
        }
        if (port == 0 || user == null || pass == null) {
            throw new IllegalArgumentException("--port, --user and --pass are needed");
        }
        int nf = Math.max(1, folders);
        InetAddress[] from = new InetAddress[sources];
        for (int i = 0; i < sources; i++) {
            from[i] = InetAddress.getByName("127.0.0." + (2 + i));
        }
        long pssBefore = pss();
        AtomicInteger held = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        AtomicIntegerArray perFolder = new AtomicIntegerArray(nf);
        AtomicIntegerArray received = new AtomicIntegerArray(nf);
        AtomicLongArray deliveredAt = new AtomicLongArray(nf);
        ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
        List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
        Semaphore inFlight = new Semaphore(concurrency);
        long start = System.nanoTime();
        for (int i = 0; i < sessions; i++) {
            if (failed.get() > Math.max(20, sessions / 100)) {
                System.out.println("stopping the ramp: " + failed.get() + " failed, first: " + firstFailure.get());
                break;
            }
            inFlight.acquireUninterruptibly();
            int idx = i;
            int f = i % nf;
            Thread.ofVirtual().start(() -> {
                boolean released = false;
                Socket s = new Socket();
                try {
                    s.bind(new InetSocketAddress(from[idx % from.length], 0));
                    s.connect(new InetSocketAddress(host, port), 60_000);
                    s.setSoTimeout(120_000);
                    sockets.add(s);
                    Conn c = new Conn(s);
                    c.expect("* OK");
                    c.send("a LOGIN " + user + " " + pass);
                    c.expect("a OK");
                    c.send("b SELECT " + (folders == 0 ? "INBOX" : "INBOX.f" + f));
                    long exists = 0;
                    while (true) {
                        String line = c.line();
                        if (line.endsWith(" EXISTS")) {
                            exists = Long.parseLong(line.substring(2, line.length() - 7));
                        } else if (line.startsWith("b ")) {
                            if (!line.startsWith("b OK")) {
                                throw new IOException("SELECT: " + line);
                            }
                            break;
                        }
                    }
                    c.send("c IDLE");
                    c.expect("+");
                    s.setSoTimeout(0);
                    held.incrementAndGet();
                    perFolder.incrementAndGet(f);
                    inFlight.release();
                    released = true;
                    while (true) {
                        String line = c.line();
                        if (line.startsWith("* ") && line.endsWith(" EXISTS")) {
                            long n = Long.parseLong(line.substring(2, line.length() - 7));
                            if (n > exists) {
                                exists = n;
                                long at = deliveredAt.get(f);
                                if (at != 0) {
                                    latencies.add((System.nanoTime() - at) / 1e6);
                                    received.incrementAndGet(f);
                                }
                            }
                        }
                    }
                } catch (Exception e) {
                    if (!released) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, e.toString());
                        inFlight.release();
                    }
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // gone
                    }
                }
            });
            if ((i + 1) % 10_000 == 0) {
                System.out.printf(Locale.ROOT, "%,d started, %,d idle, %d failed, %.1f s%n", i + 1, held.get(), failed.get(),
                        (System.nanoTime() - start) / 1e9);
            }
        }
        inFlight.acquireUninterruptibly(concurrency);
        inFlight.release(concurrency);
        double ramp = (System.nanoTime() - start) / 1e9;
        Thread.sleep(3000);
        long pssAfter = pss();
        int n = held.get();
        System.out.printf(Locale.ROOT, "held %,d IDLE sessions of %,d in %.1f s (%.0f/s); %d failed%s%n", n, sessions, ramp,
                n / ramp, failed.get(), firstFailure.get() == null ? "" : ", first: " + firstFailure.get());
        if (pid != 0) {
            System.out.printf(Locale.ROOT, "server PSS %.1f MB -> %.1f MB: %.2f KB per session%n", pssBefore / 1024.0,
                    pssAfter / 1024.0, n == 0 ? 0 : (pssAfter - pssBefore) / (double) n);
        }
        int missed = 0;
        int expectedAll = 0;
        for (int d = 0; d < deliveries && maildir != null && n > 0; d++) {
            int f = (d * 7) % nf;
            int expected = perFolder.get(f);
            received.set(f, 0);
            Path dir = folders == 0 ? maildir : maildir.resolve(".f" + f);
            String name = System.currentTimeMillis() / 1000 + ".M" + d + "P" + ProcessHandle.current().pid() + ".idleload";
            Path tmp = dir.resolve("tmp").resolve(name);
            Files.write(tmp, ("From: Outside <outside@example.org>\nTo: idle@example.com\nSubject: delivery " + d
                    + "\nMessage-ID: <d" + d + "." + System.nanoTime() + "@idleload>\n\nHello.\n").getBytes(StandardCharsets.US_ASCII));
            deliveredAt.set(f, System.nanoTime());
            Files.move(tmp, dir.resolve("new").resolve(name), StandardCopyOption.ATOMIC_MOVE);
            long until = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
            while (received.get(f) < expected && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            expectedAll += expected;
            missed += Math.max(0, expected - received.get(f));
            deliveredAt.set(f, 0);
            Thread.sleep(300);
        }
        if (expectedAll > 0) {
            List<Double> sorted = new ArrayList<>(latencies);
            for (int i = 0; i < missed; i++) {
                sorted.add(Double.POSITIVE_INFINITY);
            }
            Collections.sort(sorted);
            System.out.printf(Locale.ROOT, "deliveries: %d, EXISTS expected %,d, missed %,d; latency ms p50 %.1f p90 %.1f p99 %.1f max %.1f%n",
                    deliveries, expectedAll, missed, q(sorted, 0.5), q(sorted, 0.9), q(sorted, 0.99), sorted.get(sorted.size() - 1));
        }
        if (holdSeconds > 0) {
            System.out.println("holding the sessions for " + holdSeconds + " s");
            Thread.sleep(holdSeconds * 1000L);
        }
        synchronized (sockets) {
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // gone
                }
            }
        }
        System.exit(0);
    }

    static double q(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** The server's PSS in KB, or 0 without --pid. */
    static long pss() throws IOException {
        if (pid == 0) {
            return 0;
        }
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith("Pss:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    /** One connection's lines, read through a small buffer. */
    static final class Conn {
        private final InputStream in;
        private final OutputStream out;
        private final byte[] buf = new byte[256];
        private int pos;
        private int len;
        private final StringBuilder line = new StringBuilder();

        Conn(Socket s) throws IOException {
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        void send(String text) throws IOException {
            out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        String line() throws IOException {
            line.setLength(0);
            while (true) {
                if (pos == len) {
                    len = in.read(buf);
                    pos = 0;
                    if (len < 0) {
                        throw new IOException("connection closed" + (line.isEmpty() ? "" : " after " + line));
                    }
                }
                byte b = buf[pos++];
                if (b == '\n') {
                    int l = line.length();
                    if (l > 0 && line.charAt(l - 1) == '\r') {
                        line.setLength(l - 1);
                    }
                    return line.toString();
                }
                line.append((char) (b & 0xff));
            }
        }

        /** Reads lines up to one that starts with {@code prefix}; a tagged NO/BAD fails. */
        void expect(String prefix) throws IOException {
            while (true) {
                String l = line();
                if (l.startsWith(prefix)) {
                    return;
                }
                if (!l.startsWith("* ")) {
                    throw new IOException("expected " + prefix + ", got " + l);
                }
            }
        }
    }
}
