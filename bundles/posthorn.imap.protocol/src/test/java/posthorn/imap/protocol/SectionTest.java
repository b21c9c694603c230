package posthorn.imap.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SectionTest {

    static Stream<Arguments> specs() {
        return Stream.of(
                Arguments.of(List.of(), Section.Kind.ALL, List.of(), ""),
                Arguments.of(List.of(), Section.Kind.HEADER, List.of(), "HEADER"),
                Arguments.of(List.of(), Section.Kind.TEXT, List.of(), "TEXT"),
                Arguments.of(List.of(1, 2), Section.Kind.ALL, List.of(), "1.2"),
                Arguments.of(List.of(3), Section.Kind.MIME, List.of(), "3.MIME"),
                Arguments.of(List.of(4, 2), Section.Kind.TEXT, List.of(), "4.2.TEXT"),
                Arguments.of(List.of(1, 2), Section.Kind.HEADER_FIELDS, List.of("FROM", "TO"),
                        "1.2.HEADER.FIELDS (FROM TO)"),
                Arguments.of(List.of(), Section.Kind.HEADER_FIELDS, List.of("From", "To", "Subject"),
                        "HEADER.FIELDS (From To Subject)"),
                Arguments.of(List.of(), Section.Kind.HEADER_FIELDS_NOT, List.of("Received"),
                        "HEADER.FIELDS.NOT (Received)"),
                Arguments.of(List.of(), Section.Kind.HEADER_FIELDS, List.of("X-Odd(", "a\"b", "nil"),
                        "HEADER.FIELDS (\"X-Odd(\" \"a\\\"b\" \"nil\")"));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void spec(List<Integer> part, Section.Kind kind, List<String> fields, String expected) throws ProtocolException {
        Section section = new Section(part, kind, fields);
        assertEquals(expected, section.spec());
        // what spec() writes reads back as the same section
        FetchAttribute.Body body = (FetchAttribute.Body) new ArgReader(
                ("BODY[" + expected + "]").getBytes(java.nio.charset.StandardCharsets.US_ASCII)).fetchAttributes().get(0);
        assertEquals(section, body.section());
    }
}
