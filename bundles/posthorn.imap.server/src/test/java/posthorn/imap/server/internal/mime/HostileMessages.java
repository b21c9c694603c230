package posthorn.imap.server.internal.mime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Messages that any MDA delivers and that cost a naive parser its stack or its time (issue 10, item
 * 2): deep nesting of multiparts or of message/rfc822, a multitude of sibling parts. Each has the
 * word "shallowword" in a text part near the top, within every bound, and "deepword" in its
 * innermost or last text part, beyond the bounds.
 */
public final class HostileMessages {
    private HostileMessages() {
    }

    private static final String HEAD = "From: Mallory <mallory@example.org>\r\nTo: demo@localhost\r\n"
            + "Subject: hostile\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n";

    /**
     * {@code depth} multiparts each holding the next as its second part (the first is a small text
     * part), boundaries that are no prefix of one another; the innermost is text.
     */
    public static byte[] nestedMultiparts(int depth) {
        Out o = new Out(HEAD);
        for (int i = 0; i < depth; i++) {
            o.add("Content-Type: multipart/mixed; boundary=\"b%07d\"\r\n\r\n--b%07d\r\n", i, i);
            o.add("Content-Type: text/plain\r\n\r\n%s at level %d\r\n--b%07d\r\n", i == 2 ? "shallowword" : "text", i, i);
        }
        o.add("Content-Type: text/plain\r\n\r\ndeepword\r\n");
        for (int i = depth - 1; i >= 0; i--) {
            o.add("--b%07d--\r\n", i);
        }
        return o.bytes();
    }

    /** As the end-to-end test writes it: each boundary "b" + level, so "b1" is a prefix of "b10". */
    public static byte[] nestedPrefixBoundaries(int depth) {
        Out o = new Out(HEAD);
        for (int i = 0; i < depth; i++) {
            o.add("Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
        }
        o.add("Content-Type: text/plain\r\n\r\ndeepword\r\n");
        for (int i = depth - 1; i >= 0; i--) {
            o.add("--b%d--\r\n", i);
        }
        return o.bytes();
    }

    /** {@code depth} message/rfc822 parts, each the body of the one before; the innermost is text. */
    public static byte[] nestedMessages(int depth) {
        Out o = new Out(HEAD);
        for (int i = 0; i < depth; i++) {
            o.add("Content-Type: message/rfc822\r\n\r\nSubject: level %d\r\n", i + 1);
        }
        o.add("Content-Type: text/plain\r\n\r\ndeepword\r\n");
        return o.bytes();
    }

    /** One multipart of {@code parts} text parts; the second says "shallowword", the last "deepword". */
    public static byte[] siblings(int parts) {
        Out o = new Out(HEAD);
        o.add("Content-Type: multipart/mixed; boundary=\"s\"\r\n\r\n");
        for (int i = 1; i <= parts; i++) {
            o.add("--s\r\nContent-Type: text/plain\r\n\r\n%s %d\r\n", i == 2 ? "shallowword" : i == parts ? "deepword" : "part", i);
        }
        o.add("--s--\r\n");
        return o.bytes();
    }

    private static final class Out {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream(1 << 20);

        Out(String head) {
            add(head);
        }

        void add(String format, Object... args) {
            b.writeBytes((args.length == 0 ? format : String.format(format, args)).getBytes(StandardCharsets.US_ASCII));
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }
}
