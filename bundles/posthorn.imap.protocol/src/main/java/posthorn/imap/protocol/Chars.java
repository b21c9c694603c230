package posthorn.imap.protocol;

/** Character classes of RFC 3501 section 9, for bytes or chars below 0x80. */
final class Chars {
    private Chars() {
    }

    /** ATOM-CHAR: any CHAR except atom-specials ("(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]"). */
    static boolean isAtomChar(int c) {
        return c > 0x20 && c < 0x7F && c != '(' && c != ')' && c != '{' && c != '%' && c != '*'
                && c != '"' && c != '\\' && c != ']';
    }

    /** ASTRING-CHAR: ATOM-CHAR or resp-specials ("]"). */
    static boolean isAstringChar(int c) {
        return isAtomChar(c) || c == ']';
    }

    /** The characters of a list-mailbox atom: ASTRING-CHAR or list-wildcards. */
    static boolean isListChar(int c) {
        return isAstringChar(c) || c == '%' || c == '*';
    }

    /** A tag character: ASTRING-CHAR except "+". */
    static boolean isTagChar(int c) {
        return isAstringChar(c) && c != '+';
    }
}
