package posthorn.imap.protocol;

/** The status of a tagged or untagged status response (RFC 3501 7.1). */
public enum Status {
    OK, NO, BAD, PREAUTH, BYE
}
