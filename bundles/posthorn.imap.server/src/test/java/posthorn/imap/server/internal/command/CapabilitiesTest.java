package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import posthorn.store.api.AclStore;

import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    /** What clients, tests and scripts have seen since before the list was read from the command table. */
    private static final String ANNOUNCED = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE UNSELECT UIDPLUS MOVE"
            + " CHILDREN NAMESPACE MULTIAPPEND LIST-EXTENDED LIST-STATUS SPECIAL-USE STATUS=SIZE ESEARCH SORT"
            + " THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY SEARCHRES"
            // issue 15 (sortsearch): RFC 5267, RFC 5957, RFC 5032, Dovecot's REFS, RFC 5255, RFC 9394
            + " ESORT CONTEXT=SEARCH CONTEXT=SORT SORT=DISPLAY WITHIN THREAD=REFS I18NLEVEL=1 PARTIAL";

    @Test
    void theListIsByteForByteTheOneClientsKnow() {
        assertEquals(ANNOUNCED, Capabilities.announce(false, null, false, Set.of()));
        assertEquals(ANNOUNCED + " STARTTLS AUTH=PLAIN AUTH=LOGIN LOGINDISABLED",
                Capabilities.announce(true, List.of("PLAIN", "LOGIN"), true, Set.of()));
    }

    /** Issue 11: RFC 4314's capabilities, as Courier-IMAP announced them, only with a store that keeps ACLs. */
    @Test
    void aclOnlyWithAStoreThatKeepsThem() {
        assertEquals(ANNOUNCED + " ACL ACL2=UNION RIGHTS=texk", Capabilities.announce(false, null, false, Set.of(AclStore.class)));
        assertEquals(Capabilities.announce(false, null, false, Set.of(AclStore.class)), Capabilities.announce(false, null, false));
    }

    @Test
    void everyCapabilityOfACommandIsAnnouncedOnce() {
        List<String> announced = List.of(Capabilities.announce(false, null, false).split(" "));
        assertEquals(Set.copyOf(announced).size(), announced.size(), "no capability twice");
        for (CommandTable.Row<?> row : CommandTable.rows()) {
            for (String c : row.capabilities()) {
                assertTrue(announced.contains(c), row.name() + " brings " + c);
            }
        }
    }

    @Test
    void starttlsAndAuthOnlyBeforeLogin() {
        assertTrue(Capabilities.announce(true, List.of("PLAIN"), true)
                .endsWith(" STARTTLS AUTH=PLAIN LOGINDISABLED"));
        String after = Capabilities.announce(false, null, true);
        assertTrue(after.startsWith("IMAP4rev1 "));
        assertTrue(!after.contains("AUTH=") && !after.contains("LOGINDISABLED") && !after.contains("STARTTLS"), after);
        assertTrue(after.contains(" IDLE") && after.contains(" ENABLE") && after.contains(" UNSELECT") && after.contains(" ID"));
    }

    @Test
    void onlyAnnouncedExtensionsCanBeEnabled() {
        assertNull(Capabilities.enableable("FOO"));
        assertEquals("IMAP4rev2", Capabilities.enableable("imap4rev2"));
        assertNull(Capabilities.enableable("IDLE"));
        assertTrue(Capabilities.announced("idle"));
    }

    @Test
    void rev2BesideRev1WithWhatItIncludes() {
        String caps = Capabilities.announce(false, null, false);
        assertTrue(caps.startsWith("IMAP4rev1 IMAP4rev2 "), caps);
        for (String c : List.of("BINARY", "SEARCHRES", "ESEARCH", "LITERAL+", "MOVE", "UIDPLUS", "NAMESPACE",
                "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "STATUS=SIZE", "ENABLE", "IDLE", "SASL-IR",
                "UNSELECT", "CHILDREN")) {
            assertTrue((" " + caps + " ").contains(" " + c + " "), c + " missing from " + caps);
        }
        // RFC 7888 section 5: never both
        assertTrue(!caps.contains("LITERAL-"), caps);
    }
}
