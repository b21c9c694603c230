package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import posthorn.store.api.AclStore;
import posthorn.store.api.MetadataStore;
import posthorn.store.api.WatchStore;

import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    /** What clients, tests and scripts have seen since before the list was read from the command table. */
    private static final String ANNOUNCED = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE UNSELECT UIDPLUS MOVE"
            + " CHILDREN NAMESPACE MULTIAPPEND LIST-EXTENDED LIST-STATUS SPECIAL-USE STATUS=SIZE ESEARCH SORT"
            + " THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY SEARCHRES"
            // issue 15 (sortsearch): RFC 5267, RFC 5957, RFC 5032, Dovecot's REFS, RFC 5255, RFC 9394
            + " ESORT CONTEXT=SEARCH CONTEXT=SORT SORT=DISPLAY WITHIN THREAD=REFS I18NLEVEL=1 PARTIAL";
    /**
     * After the store-dependent ACL and NOTIFY: INPROGRESS (RFC 9585), the IMAP URL extensions (RFC 4469,
     * 5550, 4467); then the store-dependent METADATA ... SAVEDATE; PREVIEW (RFC 8970) last.
     */
    private static final String LATER = " INPROGRESS CATENATE URL-PARTIAL URLAUTH";
    private static final String ACL = " ACL ACL2=UNION RIGHTS=texk";
    /** Issue 15's wire extensions, at the end of the table; COMPRESS only after login. */
    private static final String WIRE = " COMPRESS=DEFLATE UTF8=ACCEPT APPENDLIMIT REPLACE UIDONLY";
    private static final String WIRE_PRELOGIN = " UTF8=ACCEPT APPENDLIMIT REPLACE UIDONLY";

    /** imapd.cfg shapes two of them: LITERAL- for LITERAL+ (RFC 7888), APPENDLIMIT's number (RFC 7889). */
    @Test
    void literalMinusAndAppendLimitFromTheConfiguration() {
        String list = Capabilities.announce(false, null, false, Set.of());
        assertEquals(ANNOUNCED + LATER + " PREVIEW COMPRESS=DEFLATE UTF8=ACCEPT APPENDLIMIT=67108864 REPLACE UIDONLY",
                Capabilities.configured(list, false, 64L << 20));
        String minus = Capabilities.configured(list, true, 1000);
        assertTrue(minus.startsWith("IMAP4rev1 IMAP4rev2 LITERAL- SASL-IR ") && !minus.contains("LITERAL+")
                && minus.endsWith(" APPENDLIMIT=1000 REPLACE UIDONLY"), minus);
    }

    @Test
    void utf8AcceptCanBeEnabled() {
        assertEquals("UTF8=ACCEPT", Capabilities.enableable("utf8=accept"));
    }

    @Test
    void theListIsByteForByteTheOneClientsKnow() {
        assertEquals(ANNOUNCED + LATER + " PREVIEW" + WIRE, Capabilities.announce(false, null, false, Set.of()));
        assertEquals(ANNOUNCED + LATER + " PREVIEW" + WIRE_PRELOGIN + " STARTTLS AUTH=PLAIN AUTH=LOGIN LOGINDISABLED",
                Capabilities.announce(true, List.of("PLAIN", "LOGIN"), true, Set.of()));
    }

    /** Issue 11: RFC 4314's capabilities, as Courier-IMAP announced them, only with a store that keeps ACLs. */
    @Test
    void aclOnlyWithAStoreThatKeepsThem() {
        assertEquals(ANNOUNCED + ACL + LATER + " PREVIEW" + WIRE, Capabilities.announce(false, null, false, Set.of(AclStore.class)));
    }

    /** RFC 5465 NOTIFY only with a store that watches a user's mail (store.api 1.6 WatchStore). */
    @Test
    void notifyOnlyWithAStoreThatWatchesMail() {
        assertEquals(ANNOUNCED + " NOTIFY" + LATER + " PREVIEW" + WIRE,
                Capabilities.announce(false, null, false, Set.of(WatchStore.class)));
        assertEquals(ANNOUNCED + ACL + " NOTIFY" + LATER + " PREVIEW" + WIRE,
                Capabilities.announce(false, null, false, Set.of(AclStore.class, WatchStore.class)));
    }

    /** RFC 5464: METADATA and METADATA-SERVER only with a store that keeps annotations. */
    @Test
    void metadataOnlyWithAStoreThatKeepsIt() {
        String without = Capabilities.announce(false, null, false, Set.of(AclStore.class));
        String with = Capabilities.announce(false, null, false, Set.of(AclStore.class, MetadataStore.class));
        assertTrue(!without.contains("METADATA"), without);
        assertEquals(without.replace(" PREVIEW", " METADATA METADATA-SERVER PREVIEW"), with);
    }

    /** RFC 6154 CREATE-SPECIAL-USE, RFC 8474 OBJECTID, RFC 8514 SAVEDATE: each with its store part only. */
    @Test
    void newerExtensionsOnlyWithTheirStoreParts() {
        String none = Capabilities.announce(false, null, false, Set.of());
        for (String c : List.of("CREATE-SPECIAL-USE", "OBJECTID", "SAVEDATE", "METADATA", "NOTIFY", "ACL")) {
            assertTrue(!none.contains(c), c + " in " + none);
        }
        assertEquals(none.replace(" PREVIEW", " SAVEDATE PREVIEW"),
                Capabilities.announce(false, null, false, Set.of(posthorn.store.api.SaveDateStore.class)));
    }

    @Test
    void everyStorePartTogetherIsTheDefault() {
        String all = Capabilities.announce(false, null, false);
        assertEquals(Capabilities.announce(false, null, false, Set.copyOf(Capabilities.STORE_PARTS.values())), all);
        assertEquals(ANNOUNCED + ACL + " NOTIFY" + LATER
                + " METADATA METADATA-SERVER CREATE-SPECIAL-USE OBJECTID SAVEDATE PREVIEW CONDSTORE QRESYNC" + WIRE, all);
    }

    /** RFC 7162: CONDSTORE and QRESYNC only with a store that keeps MODSEQs; both can be ENABLEd. */
    @Test
    void condStoreOnlyWithAStoreThatKeepsModSeqs() {
        assertEquals(ANNOUNCED + LATER + " PREVIEW CONDSTORE QRESYNC" + WIRE,
                Capabilities.announce(false, null, false, Set.of(posthorn.store.api.ModSeqStore.class)));
        assertEquals("CONDSTORE", Capabilities.enableable("condstore"));
        assertEquals("QRESYNC", Capabilities.enableable("QRESYNC"));
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
        assertEquals("UIDONLY", Capabilities.enableable("uidonly")); // RFC 9586 3
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
