package posthorn.store.api;

/**
 * A store operation failed. The reason maps to an IMAP response code in one place in the server.
 */
public class StoreException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why an operation failed; each maps to the RFC 5530 response code of the same name. */
    public enum Reason {
        NONEXISTENT, ALREADYEXISTS, CANNOT, TRYCREATE, OVERQUOTA, NOPERM, LIMIT, INUSE, EXPUNGEISSUED,
        /** A failure the user cannot fix: I/O error, corrupt data the store could not repair. */
        SERVERBUG
    }

    private final Reason reason;

    public StoreException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public StoreException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
