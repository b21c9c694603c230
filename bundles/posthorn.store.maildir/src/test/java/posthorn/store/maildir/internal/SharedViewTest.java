package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static posthorn.store.maildir.internal.MaildirStoreTest.deliver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import posthorn.store.api.Change;
import posthorn.store.api.FlagMode;
import posthorn.store.api.Flags;
import posthorn.store.api.Mailbox;
import posthorn.store.api.MessageMeta;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/**
 * Handles on one folder share its snapshot instead of each keeping a copy per message: what a handle
 * reports must still be its own view (as of its last sync), with its own \Recent messages.
 */
class SharedViewTest {
    @TempDir
    Path home;
    Path maildir;
    StoreUser user;

    @BeforeEach
    void maildir() throws IOException {
        maildir = home.resolve("Maildir");
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        user = new StoreUser("alice", home, null, null);
        for (int i = 1; i <= 4; i++) {
            deliver(maildir, "170000000" + i + ".M" + i + "P1.host", "message " + i + "\n");
        }
    }

    private static Map<Long, Set<String>> flags(Mailbox box) {
        return box.messages().stream().collect(Collectors.toMap(MessageMeta::uid, MessageMeta::flags));
    }

    private static Set<Long> recent(Mailbox box) {
        return box.messages().stream().filter(MessageMeta::recent).map(MessageMeta::uid).collect(Collectors.toSet());
    }

    @Test
    void eachHandleReportsItsOwnViewUntilItSyncs() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE, new HandTicker(),
                System::currentTimeMillis);
        try (UserMail one = store.open(user); UserMail two = store.open(user);
                Mailbox a = one.open("INBOX", false); Mailbox b = two.open("INBOX", false)) {
            List<Change> first = a.sync();
            assertEquals(4, first.size());
            assertTrue(first.stream().allMatch(c -> c instanceof Change.Added added && added.message().recent()),
                    "the first read-write handle takes new/'s \\Recent: " + first);
            List<Change> second = b.sync();
            assertEquals(4, second.size());
            assertTrue(second.stream().noneMatch(c -> ((Change.Added) c).message().recent()),
                    "\\Recent belongs to one session only: " + second);
            assertSame(((MaildirMailbox) a).view(), ((MaildirMailbox) b).view(),
                    "handles synced to the same folder state share one view, not a copy each");
            assertEquals(Set.of(1L, 2L, 3L, 4L), recent(a));
            assertEquals(Set.of(), recent(b));

            a.store(List.of(2L), FlagMode.ADD, Set.of(Flags.SEEN, Flags.DELETED));
            assertEquals(Set.of(), flags(b).get(2L), "b has not synced: its view is as it was");
            assertEquals(Set.of(), flags(a).get(2L), "neither has a until it syncs");
            assertEquals(List.of(new Change.FlagsChanged(2L, Set.of(Flags.SEEN, Flags.DELETED))), a.sync());
            assertEquals(Set.of(Flags.SEEN, Flags.DELETED), flags(a).get(2L));
            assertEquals(Set.of(), flags(b).get(2L), "a's sync does not change b's view");
            assertEquals(List.of(new Change.FlagsChanged(2L, Set.of(Flags.SEEN, Flags.DELETED))), b.sync());
            assertEquals(List.of(), b.sync(), "nothing changed since b's last sync");

            assertEquals(List.of(2L), a.expunge(List.of(2L)));
            assertEquals(4, b.messages().size(), "an expunge reaches b's view at its sync only");
            assertEquals(List.of(new Change.Expunged(2L)), a.sync());
            assertEquals(Set.of(1L, 3L, 4L), recent(a), "the expunged message is no longer \\Recent");
            assertEquals(List.of(new Change.Expunged(2L)), b.sync());
            assertEquals(List.of(1L, 3L, 4L), b.messages().stream().map(MessageMeta::uid).toList());

            deliver(maildir, "1700000009.M9P1.host", "message 9\n");
            List<Change> late = b.sync();
            assertEquals(1, late.size(), late.toString());
            MessageMeta m = ((Change.Added) late.get(0)).message();
            assertEquals(5L, m.uid());
            assertTrue(m.recent(), "b claimed the new delivery");
            assertEquals(Set.of(5L), recent(b));
            List<Change> lateA = a.sync();
            assertEquals(1, lateA.size(), lateA.toString());
            assertFalse(((Change.Added) lateA.get(0)).message().recent(), "a sees it, not as \\Recent");
            assertEquals(Set.of(1L, 3L, 4L), recent(a));
        }
    }

    @Test
    void messagesWithTheSameFlagsShareOneSet() throws Exception {
        MaildirStore store = MaildirStore.forTests(MaildirStore.DEFAULT_TEMPLATE, new HandTicker(),
                System::currentTimeMillis);
        try (UserMail mail = store.open(user); Mailbox a = mail.open("INBOX", false)) {
            a.sync();
            a.store(List.of(1L, 3L), FlagMode.ADD, Set.of(Flags.SEEN));
            a.sync();
            List<MaildirFolder.Entry> view = ((MaildirMailbox) a).view();
            assertSame(view.get(0).flags(), view.get(2).flags());
            assertSame(view.get(1).flags(), view.get(3).flags());
            assertEquals(Set.of(Flags.SEEN), view.get(0).flags());
            assertEquals(Set.of(), view.get(1).flags());
        }
    }
}
