package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Measurement printout, not an assertion: the heap the store keeps for a generated folder (Courier-style
 * names with S= but no W=) opened and synced by 1 and then by 10 handles, each on its own UserMail as
 * sessions have. The change lists are dropped, as the server keeps its own view. Prints the used heap
 * after a full GC and the top of the class histogram. Runs only with -Dposthorn.bench=true; the folder
 * is generated once under -Dposthorn.bench.dir (default /var/tmp/posthorn-heapbench).
 */
class HeapBenchTest {
    static final int MESSAGES = Integer.getInteger("posthorn.bench.messages", 50_000);

    @Test
    void heapWithTheFolderSelected() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("posthorn.bench"), "benchmark: run with -Dposthorn.bench=true");
        Path home = Path.of(System.getProperty("posthorn.bench.dir", "/var/tmp/posthorn-heapbench"), "m" + MESSAGES);
        Path maildir = home.resolve("Maildir");
        if (!Files.isDirectory(maildir.resolve("cur"))) {
            for (String sub : new String[] {"cur", "new", "tmp"}) {
                Files.createDirectories(maildir.resolve(sub));
            }
            for (int i = 0; i < MESSAGES; i++) {
                byte[] b = ("From: a" + i + "@example.org\nSubject: message " + i + "\n\nbody\n").getBytes(StandardCharsets.UTF_8);
                String base = (1600000000L + i) + ".M" + i + "P1.gen,S=" + b.length;
                Path f = maildir.resolve("cur").resolve(base + ":2," + (i % 2 == 0 ? "S" : ""));
                Files.write(f, b);
                Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(1600000000L + i)));
            }
        }
        StoreUser user = new StoreUser("bench", home, null, null);
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
        long base = used();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            for (int n = 1; n <= 10; n++) {
                UserMail mail = store.open(user);
                open.add(mail);
                Mailbox box = mail.open("INBOX", false);
                open.add(box);
                assertEquals(MESSAGES, box.sync().size());
                if (n == 1 || n == 10) {
                    long u = used() - base;
                    System.out.printf("heapbench: %d handle(s) on %d messages: %d bytes, %.1f bytes/message%n",
                            n, MESSAGES, u, (double) u / MESSAGES);
                    if (Boolean.getBoolean("posthorn.bench.histogram")) {
                        histogram(n); // jcmd attaches to this JVM: hangs where attaching is not allowed
                    }
                }
            }
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
            store.deactivate();
        }
    }

    private static long used() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static void histogram(int handles) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process p = new ProcessBuilder(jcmd, String.valueOf(ProcessHandle.current().pid()), "GC.class_histogram")
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            int line = 0;
            String s;
            while ((s = r.readLine()) != null) {
                if (line++ < 18) {
                    System.out.println("heapbench[" + handles + "]: " + s);
                }
            }
        }
        p.waitFor();
    }
}
