package posthorn.imap.server.internal.command;

import java.util.Set;

/**
 * The bounds of IMAP URL commands (CATENATE, GENURLAUTH, URLFETCH), from imapd.cfg.
 *
 * @param maxLength        url.max.length: the longest URL text, in characters
 * @param catenateMaxParts catenate.max.parts: the most TEXT and URL parts of one CATENATE
 * @param literalMax       literal.max: the largest message CATENATE may make (as APPEND's literal)
 * @param submitUsers      urlauth.submit: the logins that may fetch {@code submit+USER} URLs
 * @param maxKeys          urlauth.keys.max: the most URLAUTH keys (mailboxes signed for) one user holds
 */
public record UrlSettings(int maxLength, int catenateMaxParts, long literalMax, Set<String> submitUsers, int maxKeys) {

    /** The defaults of imapd.cfg, for tests and contexts without a configuration. */
    public static final UrlSettings DEFAULTS = new UrlSettings(8192, 256, 64L << 20, Set.of(), 1000);

    public UrlSettings {
        submitUsers = Set.copyOf(submitUsers);
    }
}
