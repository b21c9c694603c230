package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.FetchAttribute;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.command.NotifySpec.Event;
import posthorn.imap.server.internal.command.NotifySpec.Filter;

/**
 * NOTIFY's grammar and event rules (RFC 5465 3.1, 5, 6.1, 8), table-driven: the RFC's own examples
 * (as corrected by its verified errata: the events of a group are a parenthesised list), and each
 * rule's hostile case. OK means the command is accepted; BAD a syntax or composition error; NO an
 * unsupported event (BADEVENT); METADATA accepted where METADATA is announced, NO [BADEVENT] where it
 * is not (RFC 5465 5.6, 5.7: the METADATA events are REQUIRED with METADATA, and only then).
 */
class NotifySpecTest {

    private static NotifySpec parse(String args) throws ProtocolException {
        return NotifySpec.parse(new ArgReader(args.getBytes(StandardCharsets.UTF_8)));
    }

    static Stream<Arguments> table() {
        return Stream.of(
                // RFC 5465 3.1's examples, with the parentheses of errata 1694/1804
                Arguments.of("SET STATUS (selected (MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge)) "
                        + "(subtree Lists (MessageNew MessageExpunge))", "OK"),
                Arguments.of("SET (selected (MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge)) "
                        + "(subtree Lists (MessageNew MessageExpunge)) (mailboxes misc (MessageNew MessageExpunge))", "OK"),
                Arguments.of("NONE", "OK"),
                Arguments.of("none", "OK"),
                // the RFC's examples as first printed: events without their list are not the ABNF's
                Arguments.of("SET STATUS (selected MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge) "
                        + "(subtree Lists MessageNew)", "BAD"),
                // 5.x snapshot: NONE as events
                Arguments.of("SET (personal NONE)", "OK"),
                Arguments.of("SET (selected NONE)", "OK"),
                Arguments.of("SET STATUS (inboxes (MessageNew MessageExpunge FlagChange))", "OK"),
                Arguments.of("SET (subscribed (MailboxName SubscriptionChange))", "OK"),
                Arguments.of("SET (mailboxes (INBOX \"Sent Items\" Drafts) (MessageNew MessageExpunge))", "OK"),
                Arguments.of("SET (subtree (Lists Work) (MessageNew MessageExpunge MailboxName))", "OK"),
                Arguments.of("SET (SELECTED-DELAYED (messagenew messageexpunge flagchange))", "OK"),
                // 5: MessageNew and MessageExpunge together; FlagChange needs both
                Arguments.of("SET (selected (MessageNew))", "BAD"),
                Arguments.of("SET (personal (MessageExpunge))", "BAD"),
                Arguments.of("SET (personal (FlagChange))", "BAD"),
                Arguments.of("SET (personal (MessageNew FlagChange))", "BAD"),
                Arguments.of("SET (personal (AnnotationChange))", "BAD"),
                // 6.1: only message events with SELECTED, and only one of SELECTED and SELECTED-DELAYED
                Arguments.of("SET (selected (MailboxName))", "BAD"),
                Arguments.of("SET (selected-delayed (SubscriptionChange))", "BAD"),
                Arguments.of("SET (selected (MailboxMetadataChange))", "BAD"),
                Arguments.of("SET (selected NONE) (selected-delayed NONE)", "BAD"),
                Arguments.of("SET (selected NONE) (selected NONE)", "BAD"),
                // 5.2: fetch attributes only where a FETCH can carry them
                Arguments.of("SET (personal (MessageNew (UID FLAGS) MessageExpunge))", "BAD"),
                // grammar
                Arguments.of("SET", "BAD"),
                Arguments.of("SET STATUS", "BAD"),
                Arguments.of("SET STATUS ()", "BAD"),
                Arguments.of("SET (personal ())", "BAD"),
                Arguments.of("SET (personal MessageNew)", "BAD"),
                Arguments.of("SET (personal (MessageNew MessageExpunge) )", "BAD"),
                Arguments.of("SET (personal (MessageNew MessageExpunge)) ", "BAD"),
                Arguments.of("SET (unknownfilter (MessageNew MessageExpunge))", "BAD"),
                Arguments.of("SET (mailboxes (MessageNew MessageExpunge))", "BAD"),
                Arguments.of("SET (subtree () (MessageNew MessageExpunge))", "BAD"),
                Arguments.of("BOGUS", "BAD"),
                Arguments.of("NONE extra", "BAD"),
                // 3.1: unsupported events are NO [BADEVENT], after the composition rules
                Arguments.of("SET (personal (MessageNew MessageExpunge AnnotationChange))", "NO"),
                Arguments.of("SET (personal (MailboxMetadataChange ServerMetadataChange))", "METADATA"),
                Arguments.of("SET (subtree Lists (MailboxMetadataChange)) (inboxes (servermetadatachange))", "METADATA"),
                Arguments.of("SET (personal (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange "
                        + "MailboxMetadataChange ServerMetadataChange))", "METADATA"),
                Arguments.of("SET (personal (MailboxMetadataChange XFutureEvent))", "NO"),
                Arguments.of("SET (selected-delayed (ServerMetadataChange))", "BAD"),
                Arguments.of("SET (personal (XFutureEvent))", "NO"),
                Arguments.of("SET (selected-delayed (MessageNew MessageExpunge FlagChange AnnotationChange)) (inboxes NONE)", "NO"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("table")
    void answers(String args, String answer) {
        switch (answer) {
            case "OK" -> {
                NotifySpec spec = assertDoesNotThrow(args);
                assertTrue(spec.refused(false).isEmpty(), spec.refused(false).toString());
                assertFalse(spec.wantsMetadata());
            }
            case "NO" -> {
                NotifySpec spec = assertDoesNotThrow(args);
                assertFalse(spec.refused(true).isEmpty(), args);
            }
            case "METADATA" -> {
                NotifySpec spec = assertDoesNotThrow(args);
                assertTrue(spec.refused(true).isEmpty(), spec.refused(true).toString());
                assertTrue(spec.wantsMetadata());
                assertFalse(spec.refused(false).isEmpty(), "refused without METADATA: " + args);
                assertTrue(spec.refused(false).stream().allMatch(e -> e.endsWith("METADATACHANGE")),
                        spec.refused(false).toString());
            }
            case "BAD" -> assertThrows(ProtocolException.class, () -> parse(args), args);
            default -> throw new IllegalArgumentException(answer);
        }
    }

    private static NotifySpec assertDoesNotThrow(String args) {
        try {
            return parse(args);
        } catch (ProtocolException e) {
            throw new AssertionError(args + ": " + e.getMessage(), e);
        }
    }

    @Test
    void theFirstExampleReadsAsTheRfcMeansIt() throws ProtocolException {
        NotifySpec spec = parse("SET STATUS (selected (MessageNew (uid body.peek[header.fields (from to subject)]) "
                + "MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))");
        assertTrue(spec.status());
        assertEquals(2, spec.groups().size());
        NotifySpec.Group selected = spec.groups().get(0);
        assertEquals(Filter.SELECTED, selected.filter());
        assertEquals(Set.of(Event.MESSAGE_NEW, Event.MESSAGE_EXPUNGE), selected.events());
        assertEquals(2, selected.fetch().size());
        assertTrue(selected.fetch().get(0) instanceof FetchAttribute.Uid);
        NotifySpec.Group lists = spec.groups().get(1);
        assertEquals(Filter.SUBTREE, lists.filter());
        assertEquals(List.of("Lists"), lists.mailboxes());
    }

    @Test
    void badEventListsEverySupportedEvent() {
        assertEquals("BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)",
                NotifySpec.badEventList(false));
        assertEquals("BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange "
                + "MailboxMetadataChange ServerMetadataChange)", NotifySpec.badEventList(true));
    }

    @Test
    void noneAsEventsIsAnEmptySet() throws ProtocolException {
        NotifySpec spec = parse("SET (selected NONE) (personal (MailboxName))");
        assertTrue(spec.groups().get(0).events().isEmpty());
        assertEquals(Set.of(Event.MAILBOX_NAME), spec.groups().get(1).events());
    }
}
