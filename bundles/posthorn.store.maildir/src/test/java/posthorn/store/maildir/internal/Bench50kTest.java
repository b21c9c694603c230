package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Mailbox;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Timing printout, not an assertion: open + first sync of a generated 50,000-message Maildir with
 * Courier-style names (S= but no W=, so sizes need reading), cold (a new store, i.e. a new process)
 * and warm (a new handle on the same store). Runs only with -Dposthorn.bench=true.
 */
class Bench50kTest {
    static final int MESSAGES = Integer.getInteger("posthorn.bench.messages", 50_000);

    @TempDir
    Path home;

    @Test
    void openAndSync50k() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("posthorn.bench"), "benchmark: run with -Dposthorn.bench=true");
        Path maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        long t0 = System.nanoTime();
        StringBuilder body = new StringBuilder();
        for (int l = 0; l < 30; l++) {
            body.append("line ").append(l).append(" of a typical message body, some forty bytes\n");
        }
        for (int i = 0; i < MESSAGES; i++) {
            String text = "From: a" + i + "@example.org\nSubject: message " + i + "\n\n" + body;
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            String base = (1600000000L + i) + ".M" + i + "P1.gen,S=" + b.length;
            Path f = maildir.resolve("cur").resolve(base + ":2," + (i % 2 == 0 ? "S" : ""));
            Files.write(f, b);
            Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(1600000000L + i)));
        }
        System.out.printf("bench: generated %d messages in %d ms%n", MESSAGES, ms(t0));
        StoreUser user = new StoreUser("bench", home, null, null);
        for (String round : List.of("cold, first ever (no uid db, no index)", "cold, new store (uid db + index on disk)",
                "cold, new store again")) {
            MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE);
            long t = System.nanoTime();
            try (UserMail mail = store.open(user); Mailbox box = mail.open("INBOX", false)) {
                int n = box.sync().size();
                long cold = ms(t);
                long w = System.nanoTime();
                try (Mailbox again = mail.open("INBOX", false)) {
                    assertEquals(n, again.sync().size());
                }
                long warm = ms(w);
                long r = System.nanoTime();
                box.sync();
                long resync = ms(r);
                System.out.printf("bench: %s: open+sync %d ms; warm (new handle, same store) %d ms; resync %d ms%n",
                        round, cold, warm, resync);
                assertEquals(MESSAGES, n);
            }
            store.deactivate();
        }
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
