package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import posthorn.store.api.Flags;
import posthorn.store.api.StoreException;

class CodecTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Sent|Sent",
        "A&B|A&-B",
        "Entwürfe|Entw&APw-rfe",
        "~peter/mail/台北/日本語|~peter/mail/&U,BTFw-/&ZeVnLIqe-",
        "😀|&2D3eAA-",
    })
    void modifiedUtf7RoundTrips(String decoded, String encoded) {
        assertEquals(encoded, ModifiedUtf7.encode(decoded));
        assertEquals(decoded, ModifiedUtf7.decode(encoded));
    }

    @ParameterizedTest
    @ValueSource(strings = {"&", "&AAA", "&Jjo!-", "&AGE-", "&U,BTF2XlZyyKng-x&-&", "é"})
    void malformedModifiedUtf7IsRejected(String encoded) {
        assertThrows(IllegalArgumentException.class, () -> {
            String d = ModifiedUtf7.decode(encoded);
            // a decoder that accepted it must at least not round-trip to something else
            if (!ModifiedUtf7.encode(d).equals(encoded)) {
                throw new IllegalArgumentException("not canonical");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"INBOX/../x", "INBOX..x", "/etc", "INBOX./etc", "INBOX.a\u0001b", "INBOX.", ".",
        "INBOX.a..b", "INBOX.\u007f", "", "../x", ".x", "..", "x.", "Foo..Bar", "Foo.", "a/b", "/", "a\u0000b",
        "Foo.../x"})
    void namesThatCouldEscapeAreRejected(String name) {
        StoreException e = assertThrows(StoreException.class, () -> FolderNames.canonical(name));
        assertEquals(StoreException.Reason.CANNOT, e.reason());
    }

    @Test
    void namesBeyondOneDirectoryNameAreRejected() throws StoreException {
        String longest = "a".repeat(FolderNames.MAX_BYTES);
        assertEquals(longest, FolderNames.canonical(longest));
        StoreException e = assertThrows(StoreException.class, () -> FolderNames.canonical(longest + "b"));
        assertEquals(StoreException.Reason.CANNOT, e.reason());
        // Counted in UTF-8 bytes, as the file system counts them.
        e = assertThrows(StoreException.class, () -> FolderNames.canonical("ü".repeat(128)));
        assertEquals(StoreException.Reason.CANNOT, e.reason());
    }

    @Test
    void topLevelNamesAreFoldersAndInboxChildrenKeepTheirPrefix() throws StoreException {
        // store.api 1.3: names carry no namespace prefix (Dovecot's Maildir++ layout with prefix =).
        assertEquals("Sent", FolderNames.canonical("Sent"));
        assertEquals(".Sent", FolderNames.directory("Sent"));
        assertEquals("INBOX.Kid", FolderNames.canonical("inbox.Kid"));
        assertEquals(".INBOX.Kid", FolderNames.directory("INBOX.Kid"));
        assertEquals(Optional.of("INBOX.Kid"), FolderNames.fromDirectory(".INBOX.Kid"));
        assertEquals(Optional.empty(), FolderNames.fromDirectory(".INBOX"), "the root's own name");
        assertEquals(Optional.empty(), FolderNames.fromDirectory(".inbox.Kid"), "not INBOX's spelling");
        assertEquals(null, FolderNames.parent("Sent"));
        assertEquals("INBOX", FolderNames.parent("INBOX.Kid"));
    }

    @Test
    void canonicalNamesAndDirectories() throws StoreException {
        assertEquals("INBOX", FolderNames.canonical("inbox"));
        assertEquals("INBOX.Sent", FolderNames.canonical("Inbox.Sent"));
        assertEquals(".Sent", FolderNames.directory("Sent"));
        assertEquals(".a.b", FolderNames.directory("a.b"));
        assertEquals(".Entwürfe", FolderNames.directory("Entwürfe"));
        assertEquals(Optional.of("Entwürfe"), FolderNames.fromDirectory(".Entwürfe"));
        assertEquals(Optional.of("a&b"), FolderNames.fromDirectory(".a&b"));
        assertEquals(Optional.empty(), FolderNames.fromDirectory("..a"));
        assertEquals(Optional.empty(), FolderNames.fromDirectory(".a..b"));
        assertEquals(Optional.empty(), FolderNames.fromDirectory("cur"));
    }

    @Test
    void infoLettersGiveTheSameFlagsOnTheFastPathAsLetterByLetter() {
        // Every arrangement of system letters (the shared sets), repeats and other letters (built anew).
        assertEquals(Set.of(), MaildirFileName.parse("1.2.h:2,").systemFlags());
        assertEquals("", MaildirFileName.parse("1.2.h:2,").otherLetters());
        assertEquals(Set.of(Flags.SEEN, Flags.DRAFT), MaildirFileName.parse("1.2.h:2,SD").systemFlags());
        assertEquals(Set.of(Flags.SEEN, Flags.DRAFT), MaildirFileName.parse("1.2.h:2,DS").systemFlags());
        assertEquals(Set.of(Flags.SEEN), MaildirFileName.parse("1.2.h:2,SS").systemFlags());
        assertEquals("", MaildirFileName.parse("1.2.h:2,SS").otherLetters());
        assertEquals(Set.of(Flags.DRAFT, Flags.FLAGGED, Flags.ANSWERED, Flags.SEEN, Flags.DELETED),
                MaildirFileName.parse("1.2.h:2,TSRFD").systemFlags());
        MaildirFileName mixed = MaildirFileName.parse("1.2.h:2,abSa,T");
        assertEquals(Set.of(Flags.SEEN, Flags.DELETED), mixed.systemFlags());
        assertEquals("ab", mixed.otherLetters());
        assertEquals(Set.of(), MaildirFileName.parse("1.2.h:1,S").systemFlags(), "info other than 2, has no flags");
        assertEquals("1.2.h", MaildirFileName.baseOf("1.2.h:2,S"));
        assertEquals("1.2.h", MaildirFileName.baseOf("1.2.h"));
        assertEquals(-1, MaildirFileName.sizeField("1.2.h,W=", 'W'));
        assertEquals(-1, MaildirFileName.sizeField("1.2.h,W", 'W'));
        assertEquals(7, MaildirFileName.sizeField("1.2.h,X=1,W=7,W=9", 'W'), "the first W= counts");
        assertEquals(1700000000L, MaildirFileName.deliveryTime("1700000000.M1.h"));
        assertEquals(Long.MAX_VALUE, MaildirFileName.deliveryTime(".M1.h"));
        assertEquals(Long.MAX_VALUE, MaildirFileName.deliveryTime("17x.M1.h"));
        assertEquals(42L, MaildirFileName.deliveryTime("42"));
    }

    @Test
    void fileNamesParse() {
        MaildirFileName n = MaildirFileName.parse("1700000000.M1P2.host,S=10,W=12:2,FRSTa");
        assertEquals("1700000000.M1P2.host,S=10,W=12", n.base());
        assertEquals(Set.of(Flags.FLAGGED, Flags.ANSWERED, Flags.SEEN, Flags.DELETED), n.systemFlags());
        assertEquals("a", n.otherLetters());
        assertEquals(12, MaildirFileName.sizeField(n.base(), 'W'));
        assertEquals(10, MaildirFileName.sizeField(n.base(), 'S'));
        assertEquals(-1, MaildirFileName.sizeField("1.2.host", 'W'));
        assertEquals(Set.of(), MaildirFileName.parse("1.2.host").systemFlags());
        assertEquals("1.2.host", MaildirFileName.parse("1.2.host:1,xyz").base());
        assertEquals("b:2,DFSa", MaildirFileName.withFlags("b", Set.of(Flags.SEEN, Flags.DRAFT, Flags.FLAGGED), "a"));
        assertTrue(MaildirFileName.DELIVERY_ORDER.compare("999.x", "1000.a") < 0, "numeric time order");
        assertTrue(MaildirFileName.DELIVERY_ORDER.compare("1000.a", "1000.b") < 0);
        assertTrue(MaildirFileName.DELIVERY_ORDER.compare("junk", "1000.b") > 0);
        String[] inOrder = {"1000.M9P7.h", "1000.M10P1.h", "1000.M10P2V0FD01I9A_1.h", "1000.M10P2VFD01I3_2.h",
                "1000.M10P3Q1.h", "1000.M10P3Q2.h", "1000.M100P1.h", "1000.P5Q9.h", "1000.P5Q10.h", "1000.8.h",
                "1000.8_9.h", "1000.8_10.h", "1000.P9#2.h", "1000.zzz", "1001.M0P0.h"};
        for (int i = 0; i + 1 < inOrder.length; i++) {
            assertTrue(MaildirFileName.DELIVERY_ORDER.compare(inOrder[i], inOrder[i + 1]) < 0,
                    inOrder[i] + " before " + inOrder[i + 1]);
            assertTrue(MaildirFileName.DELIVERY_ORDER.compare(inOrder[i + 1], inOrder[i]) > 0);
        }
    }

    @Test
    void crlfStreamMatchesCountedSize() throws IOException {
        byte[] disk = "a\nb\r\nc\r\r\nd\n\n\re".getBytes(StandardCharsets.US_ASCII);
        long size = LineEnds.crlfSize(new ByteArrayInputStream(disk));
        byte[] served = new CrlfInputStream(new ByteArrayInputStream(disk)).readAllBytes();
        assertArrayEquals("a\r\nb\r\nc\r\r\nd\r\n\r\n\re".getBytes(StandardCharsets.US_ASCII), served);
        assertEquals(served.length, size);
        // byte-at-a-time and tiny buffers take other paths through the stream
        InputStream in = new CrlfInputStream(new ByteArrayInputStream(disk));
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        byte[] small = new byte[1];
        int n;
        while ((n = in.read(small, 0, 1)) >= 0) {
            one.write(small, 0, n);
        }
        assertArrayEquals(served, one.toByteArray());
    }

    @Test
    void toLfWritesUnixTextAndPredictsServedSize() throws IOException {
        byte[] client = "Subject: x\r\n\r\nline\r\nbare\nend\r".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream disk = new ByteArrayOutputStream();
        LineEnds.Written w = LineEnds.toLf(new ByteArrayInputStream(client), disk);
        assertArrayEquals("Subject: x\n\nline\nbare\nend\r".getBytes(StandardCharsets.US_ASCII), disk.toByteArray());
        assertEquals(disk.size(), w.diskSize());
        byte[] served = new CrlfInputStream(new ByteArrayInputStream(disk.toByteArray())).readAllBytes();
        assertEquals(served.length, w.crlfSize());
        assertArrayEquals("Subject: x\r\n\r\nline\r\nbare\r\nend\r".getBytes(StandardCharsets.US_ASCII), served);
    }

    @Test
    void uidDbRejectsDamage() {
        assertThrows(UidDb.CorruptException.class, () -> UidDb.parse(new byte[0]));
        assertThrows(UidDb.CorruptException.class, () -> UidDb.parse("1 100 3\n1 a\n2 b".getBytes()));
        assertThrows(UidDb.CorruptException.class, () -> UidDb.parse("2 100 3\n".getBytes()));
        assertThrows(UidDb.CorruptException.class, () -> UidDb.parse("1 100 3\n1 a\n1 b\n".getBytes()));
        assertThrows(UidDb.CorruptException.class, () -> UidDb.parse("1 100 3\nx a\n".getBytes()));
    }

    @Test
    void uidDbRoundTripsAndKeepsNextUidAboveEveryUid() throws Exception {
        UidDb db = UidDb.parse("1 100 2\n1 a\n5 b\n".getBytes());
        assertEquals(6, db.nextUid(), "NEXTUID moved past the highest UID");
        assertEquals(6, db.assign("c"));
        assertEquals("1 100 7\n1 a\n5 b\n6 c\n", new String(db.format(), StandardCharsets.UTF_8));
    }
}
