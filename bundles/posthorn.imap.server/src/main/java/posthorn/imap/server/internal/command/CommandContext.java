package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.List;
import java.util.function.LongPredicate;

import org.slf4j.Logger;

import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.imap.server.internal.auth.LoginFlow;
import posthorn.imap.server.internal.mime.MimeCuts;
import posthorn.imap.server.internal.mime.MimeLimits;
import posthorn.imap.server.internal.state.SelectedMailbox;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.imap.server.internal.urlauth.UrlAuthKeys;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;
import posthorn.store.api.search.TextTerm;

/**
 * What a command may use of its session: the response writer, the moves of the state machine, the
 * settings the client turned on, and the few connection operations that some commands start (IDLE,
 * STARTTLS, a SASL exchange). The socket, the server and the other sessions stay out of reach.
 * Implemented by the session; used on the session's thread only.
 */
public interface CommandContext {

    /** Where responses go; the session flushes after the command. */
    ResponseWriter out();

    /**
     * Completes the command: reports store changes first (EXPUNGE only if the running command
     * allows it, RFC 3501 7.4.1), then the tagged OK.
     */
    void ok(String tag, String code, String text) throws IOException, StoreException;

    /** {@link #ok} with the text "NAME completed". */
    default void completed(String tag) throws IOException, StoreException {
        ok(tag, null, command() + " completed");
    }

    /** The running command's name as the table spells it ("UID FETCH"). */
    String command();

    /** The session's number, for log lines ("s12 ..."). */
    long id();

    Logger log();

    /** Authenticated to Selected: the session now owns the view. */
    void select(SelectedMailbox view);

    /** Selected to Authenticated: closes the view; the mail stays open. */
    SessionState.Authenticated unselect();

    /** Ends the session after the current response, closing what the state owns. */
    void logout();

    /** Whether the session has ended during the command (BYE sent): nothing more is to be written. */
    boolean ended();

    /** Whether the client enabled IMAP4rev2 (RFC 9051): no RECENT, no \Recent, SEARCH as ESEARCH. */
    boolean rev2();

    /** Whether ENABLE (RFC 5161) turned this extension on. */
    boolean enabled(String capability);

    /** Turns an extension on for the rest of the session (ENABLE). */
    void enable(String capability);

    /**
     * How this client writes mailbox names, and the personal namespace they live in: the one way
     * between a client's names and the store's.
     */
    ClientNames names();

    /** The capabilities to announce now (RFC 3501 7.2.1), depending on the state and TLS. */
    String capabilities();

    /** The server's version, for ID. */
    String serverVersion();

    /**
     * IDLE (RFC 2177) after the command's arguments: sends the continuation, reports changes as they
     * happen, and waits for DONE. The caller answers the command (unless {@link #ended}).
     *
     * @return null when DONE ended it; otherwise what was wrong with the client's line (then BAD)
     */
    String idle() throws IOException, StoreException;

    /**
     * STARTTLS (RFC 3501 6.2.1): answers OK in the clear and negotiates TLS, throwing away whatever
     * the client sent before the handshake.
     *
     * @throws ProtocolException if TLS is already active or not offered
     */
    void startTls(String tag) throws IOException, ProtocolException;

    /**
     * COMPRESS (RFC 4978 3): answers OK, then compresses both directions from the byte after that
     * OK's CRLF to the end of the connection.
     *
     * @throws ProtocolException BAD for an unknown mechanism, or BAD [COMPRESSIONACTIVE] if it is on already
     */
    default void compress(String tag, String mechanism) throws IOException, ProtocolException {
        throw new ProtocolException("COMPRESS is not available on this connection");
    }

    /** The largest message APPEND takes (imapd.cfg literal.max), announced as APPENDLIMIT (RFC 7889). */
    default long appendLimit() {
        return 64L << 20;
    }

    /** Reads one line of a continuation exchange (a SASL response), as text. */
    String readLine() throws IOException, ProtocolException;

    /** The way into the authenticated state: LOGIN and AUTHENTICATE. */
    LoginFlow login();

    /**
     * A literal of the running command that the session streamed into the user's store instead of
     * memory (APPEND's messages; {@link posthorn.imap.protocol.ArgReader#streamedLiteral()} gives its
     * number). The session removes it after the command unless a mailbox took it.
     *
     * @throws StoreException if its bytes could not be written
     */
    MessageUpload streamedLiteral(int index) throws StoreException;

    /** How far a message's MIME structure is followed (imapd.cfg mime.max.depth, mime.max.parts). */
    MimeLimits mimeLimits();

    /**
     * Which messages of the selected mailbox may hold all the text {@code terms}, from the bound
     * full-text index; null when there is none or it cannot narrow (then every message is read).
     * Never leaves out a message that matches.
     */
    default LongPredicate textCandidates(SelectedMailbox view, List<TextTerm> terms) {
        return null;
    }

    /** Bytes of messages a command may read ahead on other threads (imapd.cfg fetch.readahead.kb); 0 = none. */
    default long readAheadBytes() {
        return 4096L * 1024;
    }

    /** The URLAUTH mailbox access keys (RFC 4467 section 3): the server's, one per user and mailbox. */
    default UrlAuthKeys urlAuthKeys() {
        return UrlAuthKeys.PROCESS;
    }

    /** The bounds of IMAP URLs, CATENATE and URLAUTH (imapd.cfg url.max.length, catenate.max.parts, ...). */
    default UrlSettings urlSettings() {
        return UrlSettings.DEFAULTS;
    }

    /** METADATA (RFC 5464) on or off and its limits (imapd.cfg metadata, metadata.max.*). */
    MetadataCommands.Limits metadataLimits();

    /** The most levels of OR, NOT and parentheses in search keys (imapd.cfg search.max.depth). */
    int searchMaxDepth();

    /** The most RETURN (UPDATE) contexts a session keeps (imapd.cfg search.update.max; RFC 5267 4.2). */
    default int searchUpdateMax() {
        return 10;
    }

    /** Whether the logged-in user may change quota limits (SETQUOTA; imapd.cfg quota.set names them). */
    default boolean maySetQuota() {
        return false;
    }

    // --- NOTIFY (RFC 5465) ---

    /** The NOTIFY SET in force, or null (none was given, or NOTIFY NONE). */
    default NotifySession notifications() {
        return null;
    }

    /** Replaces the NOTIFY SET in force (null: NOTIFY NONE), closing the one before. */
    default void notifications(NotifySession session) {
        if (session != null) {
            session.close();
        }
    }

    /** Where SETMETADATA tells NOTIFY sessions of changed entries (RFC 5465 5.6, 5.7): the process's. */
    default MetadataNotices metadataNotices() {
        return MetadataNotices.PROCESS;
    }

    /** The most mailboxes one session's NOTIFY may watch (imapd.cfg notify.max.mailboxes). */
    default int notifyMaxMailboxes() {
        return 100;
    }

    /**
     * What a store thread calls when a NOTIFY watch saw a change: asks the session to deliver on its
     * own terms. Must not block.
     */
    default Runnable notifyWake() {
        return () -> { };
    }

    // --- INPROGRESS (RFC 9585) ---

    /**
     * The running command has done {@code done} of {@code total} units of its work (messages searched,
     * copied, fetched): the session may send {@code * OK [INPROGRESS (tag done total)]}, at most every
     * inprogress.interval. Cheap when nothing is due; call it as often as convenient.
     */
    default void progress(long done, long total) throws IOException {
    }

    /** Logs, in one line, the messages whose MIME structure the bounds cut short in this command, if any. */
    default void logCuts(MimeCuts cuts) {
        String summary = cuts.summary();
        if (summary != null) {
            log().info("s{} {}: {}", id(), command(), summary);
        }
    }
}
