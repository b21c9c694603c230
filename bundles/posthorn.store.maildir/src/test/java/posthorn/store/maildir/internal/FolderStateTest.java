package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import posthorn.store.api.Flags;

/** The in-memory state of a folder between scans. */
class FolderStateTest {
    @Test
    void flagsAreTheFileNamesLettersPlusTheKeywords() {
        FolderState state = new FolderState();
        assertNull(state.flags("a"), "unknown: gone");
        state.fileAt("a", new MessageFile(false, "a:2,FS"));
        assertEquals(Set.of(Flags.FLAGGED, Flags.SEEN), state.flags("a"));
        state.setKeywords("a", Set.of("Work"));
        assertEquals(Set.of(Flags.FLAGGED, Flags.SEEN, "Work"), state.flags("a"));
        state.setKeywords("a", Set.of());
        assertEquals(Set.of(Flags.FLAGGED, Flags.SEEN), state.flags("a"));
        assertEquals(Set.of("Work"), state.knownKeywords(), "a keyword once seen stays known");
        state.forget("a");
        assertNull(state.flags("a"));
    }

    @Test
    void aListingIsTheTruthAboutFiles() {
        FolderState state = new FolderState();
        state.fileAt("a", new MessageFile(false, "a:2,"));
        state.fileAt("b", new MessageFile(false, "b:2,"));
        state.listed(Map.of("b", new MessageFile(false, "b:2,S"), "c", new MessageFile(true, "c")));
        assertFalse(state.present("a"));
        assertEquals(new MessageFile(false, "b:2,S"), state.file("b"));
        assertTrue(state.inNew("c"));
        assertFalse(state.inNew("b"));
    }

    @Test
    void aKeywordReadingReplacesWhatMemoryHeld() {
        FolderState state = new FolderState();
        state.setKeywords("a", Set.of("Old"));
        Map<String, Set<String>> read = Map.of("b", Set.of("New"));
        state.keywordsRead(read);
        assertEquals(Set.of(), state.keywords("a"));
        assertEquals(Set.of("New"), state.keywords("b"));
        state.setKeywords("b", Set.of("Mine"));
        state.keywordsRead(read);
        assertEquals(Set.of("Mine"), state.keywords("b"), "the same reading again changes nothing");
        assertEquals(Set.of("Old", "New", "Mine"), state.knownKeywords());
    }

    @Test
    void aPendingRecentMessageIsClaimedOnce() {
        FolderState state = new FolderState();
        state.addRecentPending("a", 1);
        state.addRecentPending("b", 2);
        assertTrue(state.hasPendingRecent());
        assertTrue(state.isRecentPending("a"));
        assertTrue(state.claimRecent("a"));
        assertFalse(state.claimRecent("a"));
        state.keepRecentPending(Set.of("a"));
        assertFalse(state.hasPendingRecent(), "b was expunged before anyone saw it");
        state.addRecentPending("c", 3);
        state.addRecentPending("d", 4);
        assertEquals(Set.of(3L, 4L), state.claimAllRecent());
        assertFalse(state.hasPendingRecent());
        assertEquals(Set.of(), state.claimAllRecent(), "claimed once");
    }
}
