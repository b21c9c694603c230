package posthorn.imap.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MailboxNamesTest {

    static Stream<Arguments> pairs() {
        return Stream.of(
                Arguments.of("INBOX", "INBOX"),
                Arguments.of("", ""),
                Arguments.of("\u65e5\u672c\u8a9e", "&ZeVnLIqe-"),
                Arguments.of("~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
                Arguments.of("Tom & Jerry", "Tom &- Jerry"),
                Arguments.of("&&", "&-&-"),
                Arguments.of("Entw\u00fcrfe", "Entw&APw-rfe"),
                Arguments.of("Gel\u00f6schte Elemente", "Gel&APY-schte Elemente"),
                Arguments.of("\u00e9", "&AOk-"),
                Arguments.of("\u00e9\u00e9", "&AOkA6Q-"),
                Arguments.of("\u00e9\u00e9\u00e9", "&AOkA6QDp-"),
                Arguments.of("a\tb", "a&AAk-b"),
                Arguments.of("\ud83d\ude00 smile", "&2D3eAA- smile"),
                Arguments.of("\ud83d\udce7\ud83d\udce8", "&2D3c59g93Og-"),
                Arguments.of("\u20ac/\u00fc&", "&IKw-/&APw-&-"));
    }

    @ParameterizedTest
    @MethodSource("pairs")
    void encodes(String unicode, String utf7) {
        assertEquals(utf7, MailboxNames.encode(unicode));
    }

    @ParameterizedTest
    @MethodSource("pairs")
    void decodes(String unicode, String utf7) throws ProtocolException {
        assertEquals(unicode, MailboxNames.decode(utf7));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "&", "a&", "&ZeVnLIqe", // unterminated
            "&-&", "&!-", "&Ze/nLIqe-", "&Ze=-", // '&' not followed by '-' or base64, '/' and '=' are not modified BASE64
            "&AGE-", // "a" needlessly encoded
            "&AC0-", // "-" needlessly encoded
            "&ACY-", // "&" must be "&-"
            "&AOkA-", "&AOkAA-", "&AOl-", // bits left over: an extra character, non-zero padding bits
            "&2D0-", "&3gA-", "&2D3YPQ-", "&2D0AZQ-", // broken surrogate pairs
            "&-a\u00e9", "caf\u00e9", "a\tb" // raw 8-bit or control characters
    })
    void rejects(String utf7) {
        assertThrows(ProtocolException.class, () -> MailboxNames.decode(utf7));
    }
}
