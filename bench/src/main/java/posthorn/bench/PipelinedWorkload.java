package posthorn.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The pipelined workload of issue 14: the cost of a command inside a long session. N clients (10),
 * spread over a few users whose INBOX holds a few thousand messages, each log in and SELECT once, then
 * for a fixed time keep up to {@code depth} (10) commands in flight on their connection: UID FETCH n
 * (FLAGS), UID FETCH n (BODY.PEEK[]) and UID STORE n +FLAGS/-FLAGS (\Seen). Tags are matched to their
 * tagged replies (a server may answer out of order where RFC 3501 5.5 lets it). New commands are
 * written together whenever the client has read all the input it has, as a pipelining client does
 * (several commands in one write). Reports commands/s and the server's CPU time per command, from
 * /proc over the timed window.
 */
final class PipelinedWorkload {

    /** Sizes of the workload; {@code users} of the {@code clients} share mailboxes round-robin. */
    record Settings(int clients, int users, int messages, int seconds, int depth) {
        static Settings of(Main.Plan plan) {
            return plan.quick() ? new Settings(4, 2, 300, 3, 10) : new Settings(10, 5, 3_000, 10, 10);
        }

        List<String> userNames() {
            List<String> names = new ArrayList<>();
            for (int k = 1; k <= users; k++) {
                names.add("pipe" + k);
            }
            return names;
        }
    }

    private final Settings settings;
    private final Server server;
    private final Results results;
    private final long seed;

    PipelinedWorkload(Settings settings, Server server, Results results, long seed) {
        this.settings = settings;
        this.server = server;
        this.results = results;
        this.seed = seed;
    }

    /** The pipelined users' mailbox, generated once per seed and size beside the other data. */
    static Path prepare(Path dataRoot, long seed, int messages) throws IOException {
        Path dir = dataRoot.resolve("pipe-s" + seed + "-n" + messages + "-v1");
        Path done = dir.resolve("DONE");
        if (!Files.exists(done)) {
            Main.delete(dir);
            Main.log("generating %,d messages for the pipelined workload into %s", messages, dir);
            new MailGenerator(seed + 3).maildir(dir.resolve("inbox"), messages);
            Files.writeString(done, "");
        }
        return dir.resolve("inbox");
    }

    void run() {
        String[] rows = {"pipe_cps", "pipe_cpu"};
        List<Client> clients = new ArrayList<>();
        try {
            for (int i = 0; i < settings.clients(); i++) {
                String user = "pipe" + (1 + i % settings.users());
                Client c = new Client(user, new SplittableRandom(seed * 131 + i));
                clients.add(c);
                String refusal = c.open();
                if (refusal != null) {
                    for (String r : rows) {
                        results.notAvailable(r, server.name, refusal);
                    }
                    clients.forEach(Client::close);
                    return;
                }
            }
        } catch (Exception e) {
            for (String r : rows) {
                results.error(r, server.name, e.toString().replace('\n', ' '));
            }
            clients.forEach(Client::close);
            return;
        }
        // A short untimed pass first, so that both servers start the window warm.
        runFor(clients, 1, new AtomicLong(), new AtomicLong(), new AtomicReference<>());
        AtomicLong commands = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        double cpu0 = ProcStats.cpuSeconds(server.roots());
        double self0 = ProcStats.selfCpuSeconds();
        long t0 = System.nanoTime();
        runFor(clients, settings.seconds(), commands, refused, failure);
        long t1 = System.nanoTime();
        double cpu1 = ProcStats.cpuSeconds(server.roots());
        double self1 = ProcStats.selfCpuSeconds();
        clients.forEach(Client::logout);
        if (failure.get() != null) {
            for (String r : rows) {
                results.error(r, server.name, failure.get().toString().replace('\n', ' '));
            }
            return;
        }
        double secs = (t1 - t0) / 1e9;
        long n = commands.get();
        if (n == 0) {
            for (String r : rows) {
                results.error(r, server.name, "no command answered in " + settings.seconds() + " s");
            }
            return;
        }
        double cpuPerCommand = (cpu1 - cpu0) * 1000 / n;
        results.sample("pipe_cps", server.name, n / secs, cpuPerCommand);
        results.sample("pipe_cpu", server.name, cpuPerCommand, null);
        results.note(String.format(Locale.ROOT, "%s pipelined: %d clients on %d users x %,d messages, up to %d commands in "
                + "flight each, %.1f s, %,d commands (%d refused); server used %.2f cores, the load generator %.2f cores",
            server.name, settings.clients(), settings.users(), settings.messages(), settings.depth(), secs, n,
            refused.get(), (cpu1 - cpu0) / secs, (self1 - self0) / secs));
    }

    private void runFor(List<Client> clients, int seconds, AtomicLong commands, AtomicLong refused,
            AtomicReference<Exception> failure) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (Client c : clients) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    c.pump(deadline, commands, refused);
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One pipelining client on its own connection; used by one thread at a time. */
    private final class Client {
        private final String user;
        private final SplittableRandom rnd;
        private ImapConnection c;
        private long uidLo;
        private long uidHi;
        private long next;

        Client(String user, SplittableRandom rnd) {
            this.user = user;
            this.rnd = rnd;
        }

        /** Connects, logs in and selects INBOX; null, or why the server refused. */
        String open() throws IOException {
            c = ImapConnection.open(server.address(user), null, 120_000);
            if (!c.preauth()) {
                ImapConnection.Reply r = c.login(user, server.password);
                if (!r.ok()) {
                    return "LOGIN -> " + r.refusal();
                }
            }
            ImapConnection.Reply sel = c.command("SELECT INBOX", true);
            if (!sel.ok()) {
                return "SELECT -> " + sel.refusal();
            }
            long exists = Workloads.exists(sel);
            long uidnext = Workloads.uidNext(sel);
            if (exists == 0) {
                return "SELECT INBOX found no messages";
            }
            uidHi = uidnext - 1;
            uidLo = Math.max(1, uidnext - exists);
            return null;
        }

        /** Keeps up to depth commands in flight until the deadline, then waits for the last replies. */
        void pump(long deadline, AtomicLong commands, AtomicLong refused) throws IOException {
            Map<String, String> inFlight = new HashMap<>();
            StringBuilder batch = new StringBuilder();
            while (inFlight.size() < settings.depth()) {
                queue(batch, inFlight);
            }
            c.sendRaw(batch);
            while (!inFlight.isEmpty()) {
                String line = c.readLine();
                if (line.startsWith("*") || line.startsWith("+")) {
                    continue;
                }
                int sp = line.indexOf(' ');
                String tag = sp < 0 ? line : line.substring(0, sp);
                String cmd = inFlight.remove(tag);
                if (cmd == null) {
                    throw new ImapConnection.ProtocolException("a tagged reply to no command in flight: " + line);
                }
                commands.incrementAndGet();
                if (!line.startsWith(tag + " OK")) {
                    refused.incrementAndGet();
                    if (line.startsWith(tag + " BAD")) {
                        throw new ImapConnection.ProtocolException(cmd + " -> " + line.substring(sp + 1));
                    }
                }
                if (System.nanoTime() < deadline) {
                    queue(batch, inFlight);
                }
                if (batch.length() > 0 && !c.buffered()) {
                    c.sendRaw(batch);
                }
            }
            if (batch.length() > 0) {
                throw new IllegalStateException("commands queued with none in flight");
            }
        }

        private void queue(StringBuilder batch, Map<String, String> inFlight) {
            long uid = uidLo + rnd.nextLong(uidHi - uidLo + 1);
            int op = rnd.nextInt(100);
            String cmd;
            if (op < 40) {
                cmd = "UID FETCH " + uid + " (FLAGS)";
            } else if (op < 60) {
                cmd = "UID FETCH " + uid + " (BODY.PEEK[])";
            } else {
                cmd = "UID STORE " + uid + (rnd.nextBoolean() ? " +" : " -") + "FLAGS (\\Seen)";
            }
            String tag = "p" + (++next);
            inFlight.put(tag, cmd);
            batch.append(tag).append(' ').append(cmd).append("\r\n");
        }

        void logout() {
            if (c != null) {
                c.logout();
            }
        }

        void close() {
            if (c != null) {
                c.close();
            }
        }
    }
}
