package posthorn.imap.protocol;

/**
 * Malformed input: the server answers BAD with this message (and the response code, if any).
 */
public class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String code;

    public ProtocolException(String message) {
        this(null, message);
    }

    /** @param code an RFC 5530 response code without brackets (e.g. {@code TOOBIG}), or null */
    public ProtocolException(String code, String message) {
        super(message);
        this.code = code;
    }

    /** The response code without brackets, or null. */
    public String code() {
        return code;
    }
}
