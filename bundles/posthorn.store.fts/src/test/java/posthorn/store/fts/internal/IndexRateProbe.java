package posthorn.store.fts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.search.TextTerm;
import posthorn.store.api.search.TextTerm.Where;

/**
 * Measures the first index build over real messages (a Maildir's cur folder named by
 * -Dfts.probe.maildir, the first -Dfts.probe.count messages, default 3000). Skipped unless named:
 * it is a measurement, run by hand with -Dtest=IndexRateProbe, not part of the suite.
 */
@EnabledIfSystemProperty(named = "fts.probe.maildir", matches = ".+")
class IndexRateProbe {
    @TempDir
    Path dir;

    @Test
    void firstBuild() throws Exception {
        Path cur = Path.of(System.getProperty("fts.probe.maildir"));
        int count = Integer.getInteger("fts.probe.count", 3000);
        MemoryMailbox box = new MemoryMailbox("INBOX", 1);
        long bytes = 0;
        try (Stream<Path> files = Files.list(cur)) {
            for (Path p : files.sorted().limit(count).toList()) {
                byte[] b = Files.readAllBytes(p);
                bytes += b.length;
                box.addBytes(b);
            }
        }
        LuceneTextIndex index = new LuceneTextIndex(dir.resolve("fts"), MessageTextTest.LIMITS, 86400);
        try {
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            assertNotNull(index.candidates("probe", box, List.of(new TextTerm(Where.TEXT, "zzqqxx"))));
            double s = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            assertEquals(box.messages.size(), box.opened.get(), "every message read once");
            System.out.printf("fts.probe messages=%d bytes=%d seconds=%.2f msgs_per_s=%.0f mb_per_s=%.2f cpu_seconds=%.2f cpu_ms_per_msg=%.2f%n",
                    box.messages.size(), bytes, s, box.messages.size() / s, bytes / 1e6 / s, cpu,
                    cpu * 1000 / box.messages.size());
        } finally {
            index.deactivate();
        }
    }
}
