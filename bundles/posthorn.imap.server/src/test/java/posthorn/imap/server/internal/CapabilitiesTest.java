package posthorn.imap.server.internal;

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
        // IMAP4rev2 is enableable but not announced until the rest of RFC 9051 is there
        assertEquals(Capabilities.announced("IMAP4rev2") ? "IMAP4rev2" : null, Capabilities.enableable("imap4rev2"));
        assertTrue(Capabilities.announced("idle"));
    }
}
