package posthorn.imap.protocol;

import java.util.List;

/**
 * Reads the arguments of one command line (an {@link CommandReceiver.Event.Line}) by the grammar of
 * RFC 3501 section 9. Each method consumes what it reads or throws {@link ProtocolException} with a
 * message fit for a BAD response. Names of atoms keep their case; callers compare ignoring case.
 */
public final class ArgReader {

    public ArgReader(byte[] line) {
        throw new UnsupportedOperationException("not yet");
    }

    /** The tag: 1*(ASTRING-CHAR except "+"). */
    public String tag() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** One SP. */
    public void sp() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** An atom (ATOM-CHARs); for command names, fetch items, search keys. */
    public String atom() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** An astring: atom (with ']' allowed), quoted string or literal, decoded as UTF-8. */
    public String astring() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A string: quoted or literal, as bytes. */
    public byte[] stringBytes() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A mailbox name: an astring; "INBOX" in any case comes back as "INBOX". Still modified UTF-7. */
    public String mailbox() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A list-mailbox (LIST pattern): like astring but also '%' and '*' in atoms. */
    public String listMailbox() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A number (RFC 3501 number, 32-bit unsigned) or nz-number when {@code nonZero}. */
    public long number(boolean nonZero) throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A sequence set (with '*' and, for RFC 5182, '$'). */
    public SequenceSet sequenceSet() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A parenthesised list of flags (system flags and keywords); "()" gives an empty list. */
    public List<String> flagList() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** A fetch argument: a single attribute, a macro (ALL, FAST, FULL) or a parenthesised list. */
    public List<FetchAttribute> fetchAttributes() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }

    /** Whether the next byte is {@code c}, without consuming it. */
    public boolean peek(char c) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Consumes {@code c} if it is next; returns whether it did. */
    public boolean skip(char c) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Whether the whole line has been read. */
    public boolean atEnd() {
        throw new UnsupportedOperationException("not yet");
    }

    /** Throws unless the whole line has been read ("unexpected arguments"). */
    public void end() throws ProtocolException {
        throw new UnsupportedOperationException("not yet");
    }
}
