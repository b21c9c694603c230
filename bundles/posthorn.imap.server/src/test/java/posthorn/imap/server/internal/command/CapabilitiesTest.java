package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class CapabilitiesTest {
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
