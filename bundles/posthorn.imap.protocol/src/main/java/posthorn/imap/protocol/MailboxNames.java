package posthorn.imap.protocol;

/**
 * Modified UTF-7 for mailbox names (RFC 3501 5.1.3).
 */
public final class MailboxNames {
    private MailboxNames() {
    }

    /** Unicode to modified UTF-7. */
    public static String encode(String name) {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Modified UTF-7 to Unicode.
     *
     * @throws ProtocolException if it is not valid modified UTF-7 (bad base64, non-canonical
     *         encoding of printable ASCII, unterminated shift, '&amp;' not written as "&amp;-")
     */
    public static String decode(String name) throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }
}
