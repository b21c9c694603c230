package posthorn.store.api.search;

import java.util.Objects;

/**
 * One text condition of a search, as the server's matcher decides it (RFC 3501 6.4.4: case-insensitive
 * substring, on decoded text).
 *
 * @param where which text of a message the substring must occur in
 * @param text  the substring as the client gave it (the index folds case itself)
 */
public record TextTerm(Where where, String text) {

    /** Which text of a message a {@link TextTerm} is looked for in. */
    public enum Where {
        /** A decoded text part of the body (SEARCH BODY). */
        BODY,
        /** A decoded text part, or one header line {@code name: decoded value} of any part (SEARCH TEXT). */
        TEXT,
        /**
         * The decoded value of a header field of the message, of any name; or an address in it as
         * ENVELOPE writes it ({@code "Name" <local@domain>}, comments and folding gone): SEARCH HEADER,
         * SUBJECT, FROM, TO, CC, BCC.
         */
        HEADER
    }

    public TextTerm {
        Objects.requireNonNull(where, "where");
        Objects.requireNonNull(text, "text");
    }
}
