package posthorn.auth.support.file;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingFileTest {

    @TempDir
    Path dir;

    /** Reads the files' text, joined; "unreadable: WHY" before any read; counts the reads. */
    static class TextReader implements ReloadingFile.Reader<String> {
        final List<Path> files;
        final AtomicInteger reads = new AtomicInteger();
        volatile String missingAnswer; // what a missing file reads as; null: it is an error

        TextReader(Path... files) {
            this.files = List.of(files);
        }

        @Override
        public List<Path> files() {
            return files;
        }

        @Override
        public String read(List<Path> files, String previous) throws IOException {
            reads.incrementAndGet();
            StringBuilder b = new StringBuilder();
            for (Path p : files) {
                try {
                    b.append(Files.readString(p, StandardCharsets.UTF_8));
                } catch (NoSuchFileException e) {
                    if (missingAnswer == null) {
                        throw e;
                    }
                    b.append(missingAnswer);
                }
            }
            return b.toString();
        }

        @Override
        public String unreadable(String why) {
            return "unreadable: " + why;
        }
    }

    @Test
    void rereadsOnlyWhenAFileChanges() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "one");
        TextReader r = new TextReader(f);
        ReloadingFile<String> file = new ReloadingFile<>("test", Duration.ZERO, System::nanoTime, r);
        assertEquals("one", file.current());
        assertEquals("one", file.current());
        assertEquals(1, r.reads.get(), "unchanged: not read again");
        // same size, new mtime
        Files.writeString(f, "two");
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals("two", file.current());
        // replaced by a rename: a new inode
        Path tmp = Files.writeString(dir.resolve("tmp"), "six");
        Files.setLastModifiedTime(tmp, Files.getLastModifiedTime(f));
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertEquals("six", file.current());
        assertEquals(3, r.reads.get());
    }

    @Test
    void looksAtMostOncePerInterval() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "one");
        AtomicLong now = new AtomicLong();
        ReloadingFile<String> file = new ReloadingFile<>("test", Duration.ofSeconds(1), now::get, new TextReader(f));
        Files.writeString(f, "changed");
        now.set(Duration.ofMillis(999).toNanos());
        assertEquals("one", file.current());
        now.set(Duration.ofMillis(1000).toNanos());
        assertEquals("changed", file.current());
    }

    @Test
    void aFileThatCannotBeReadKeepsTheLastGoodValue() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "good");
        TextReader r = new TextReader(f);
        ReloadingFile<String> file = new ReloadingFile<>("test", Duration.ZERO, System::nanoTime, r);
        Files.delete(f);
        assertEquals("good", file.current());
        assertEquals("good", file.current());
        Files.writeString(f, "back");
        assertEquals("back", file.current());
    }

    @Test
    void nothingReadYetIsTheReadersUnreadableValueUntilTheFileComes() throws IOException {
        Path f = dir.resolve("later");
        ReloadingFile<String> file = new ReloadingFile<>("test", Duration.ZERO, System::nanoTime, new TextReader(f));
        assertEquals("unreadable: cannot read it (NoSuchFileException)", file.current());
        Files.writeString(f, "here");
        assertEquals("here", file.current());
    }

    @Test
    void theReaderMaySayWhatAMissingFileMeans() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "accounts");
        TextReader r = new TextReader(f);
        r.missingAnswer = "no accounts";
        ReloadingFile<String> file = new ReloadingFile<>("test", Duration.ZERO, System::nanoTime, r);
        Files.delete(f);
        assertEquals("no accounts", file.current());
        file.current();
        assertEquals(2, r.reads.get(), "a file that stays missing is not read again");
    }

    @Test
    void aListingThatFailsKeepsTheLastGoodValue() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "good");
        AtomicInteger listings = new AtomicInteger();
        TextReader r = new TextReader(f) {
            @Override
            public List<Path> files() {
                if (listings.incrementAndGet() == 2) {
                    throw new java.io.UncheckedIOException(new IOException("walk failed"));
                }
                return super.files();
            }
        };
        ReloadingFile<String> file = new ReloadingFile<>("test", Duration.ZERO, System::nanoTime, r);
        assertEquals("good", file.current());
        assertEquals("good", file.current(), "after the failure it is read again");
        assertEquals(2, r.reads.get());
    }

    @Test
    void concurrentCallersNeverWaitAndAlwaysSeeAValue() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "v0");
        ReloadingFile<String> file = new ReloadingFile<>("test", Duration.ZERO, System::nanoTime, new TextReader(f));
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int j = 0; j < 200; j++) {
                    seen.add(file.current());
                }
            }));
        }
        start.countDown();
        for (int i = 1; i <= 20; i++) {
            // as a tool replaces it: whole or not at all
            Path tmp = Files.writeString(dir.resolve("tmp"), "v" + i);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(1600, seen.size());
        seen.forEach(v -> assertEquals(true, v.matches("v\\d+"), v));
    }
}
