package posthorn.imap.protocol;

import java.util.List;

/**
 * A body section (RFC 3501 6.4.5, section-spec): a part path and what of it.
 *
 * @param part   the part numbers, empty for the whole message
 * @param kind   what of the part
 * @param fields header field names for {@link Kind#HEADER_FIELDS} and {@link Kind#HEADER_FIELDS_NOT},
 *               as the client wrote them; empty otherwise
 */
public record Section(List<Integer> part, Kind kind, List<String> fields) {

    public enum Kind {
        /** BODY[] or BODY[1.2]: the whole part. */
        ALL,
        HEADER, HEADER_FIELDS, HEADER_FIELDS_NOT, TEXT, MIME
    }

    public Section {
        part = List.copyOf(part);
        fields = List.copyOf(fields);
    }

    /** The section as it goes back in a FETCH response, e.g. {@code 1.2.HEADER.FIELDS (FROM TO)}. */
    public String spec() {
        throw new UnsupportedOperationException("not yet");
    }
}
