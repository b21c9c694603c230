package posthorn.text.support;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;

/**
 * A message's text as SEARCH reads it (RFC 3501 6.4.4: decoded header values and text parts): one
 * copy for the server's matcher (posthorn.imap.server TextScanner) and the full-text index
 * (posthorn.store.fts MessageText), whose promise never to leave out a true match rests on both
 * decoding alike. Stateless; compiled privately into each bundle that uses it (see the pom).
 */
public final class SearchText {
    private SearchText() {
    }

    /**
     * A header value as people read it: unfolded, raw 8-bit bytes taken as UTF-8 when they are (the
     * Latin-1 string holds one byte a char), RFC 2047 encoded words decoded.
     */
    public static String decodeHeader(String latin1) {
        String s = latin1.replace("\r", "").replace("\n", "");
        boolean eight = false;
        for (int i = 0; i < s.length() && !eight; i++) {
            eight = s.charAt(i) >= 0x80;
        }
        if (eight) {
            byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            try {
                s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                // not UTF-8: keep Latin-1
            }
        }
        if (!s.contains("=?")) {
            return s;
        }
        try {
            return DecoderUtil.decodeEncodedWords(s, DecodeMonitor.SILENT);
        } catch (RuntimeException e) {
            return s;
        }
    }

    /**
     * A text part's decoded bytes (transfer encoding undone) as chars: in the part's charset, UTF-8
     * when it names none, US-ASCII or one Java does not know; malformed input replaced, never thrown.
     */
    public static Reader partReader(InputStream decoded, String charset) {
        return new InputStreamReader(new NoZeroReads(decoded), decoder(charset));
    }

    static CharsetDecoder decoder(String name) {
        Charset cs = StandardCharsets.UTF_8;
        if (name != null && !name.equalsIgnoreCase("us-ascii")) {
            try {
                cs = Charset.forName(name.strip());
            } catch (RuntimeException e) {
                cs = StandardCharsets.UTF_8;
            }
        }
        return cs.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
    }

    /**
     * Mime4j's decoding streams can return 0 bytes on broken input, which InputStreamReader takes as
     * an error; a zero read that repeats is taken as the end of the part.
     */
    static final class NoZeroReads extends FilterInputStream {
        NoZeroReads(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            for (int i = 0; i < 16; i++) {
                int n = super.read(b, off, len);
                if (n != 0) {
                    return n;
                }
            }
            return -1;
        }
    }
}
