package posthorn.imap.server.internal.session;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import posthorn.imap.protocol.CommandReceiver.Event;
import posthorn.imap.protocol.ParserLimits;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.net.ImapdConfig;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;

/**
 * Where the literals of the command being received go, decided when each is announced and before
 * the client sends it (issue 10: nothing a client sends before login reaches the heap beyond a few
 * KB, and no literal of any size fills the heap after it):
 * <ul>
 * <li>into memory, in the command line, when it fits both the command's share (before login
 *     {@code literal.max.prelogin} for all its literals together: user names, passwords, SASL; after
 *     login {@code line.max}, as Dovecot counts a literal into its imap_max_line_length) and the
 *     server's {@link LiteralBudget} ({@code buffer.budget});</li>
 * <li>after login, an APPEND message that does not fit there: into an upload of the user's store (a
 *     file in the Maildir's tmp/, renamed into the mailbox when the command completes), up to
 *     {@code literal.max}; MULTIAPPEND's messages each get one;</li>
 * <li>nowhere: refused, a synchronizing literal before the continuation request (BAD [TOOBIG] when it
 *     exceeds the command's share, NO [LIMIT] when the budget is spent); a non-synchronizing one, which
 *     the client sends regardless, ends the session (RFC 7888 section 4 lets the server read it or close
 *     the connection; closing cannot be abused to make the server read, and Dovecot disconnects too).</li>
 * </ul>
 * The receiver's own limits ({@link #limits}) refuse a single literal larger than the state allows
 * before anything here is asked.
 *
 * <p>Session thread only. {@link #commandDone} after every command (and when the session ends) gives
 * the memory back and removes uploads no mailbox took.
 */
final class LiteralIntake {

    /**
     * The commands whose literal is a message that may stream to the store: APPEND (CATENATE's TEXT
     * parts included), REPLACE and UID REPLACE (RFC 8508). The receiver names a UID command by both its
     * words, so the literal of UID SEARCH, UID FETCH, ... is held to line.max like any other command's
     * and never spooled to disk.
     */
    private static final java.util.Set<String> MESSAGE_COMMANDS = java.util.Set.of("APPEND", "REPLACE", "UID REPLACE");

    /** Where a literal goes. */
    enum Route { MEMORY, STREAM, REFUSE }

    /**
     * @param status BAD or NO for a refused literal, else null
     * @param code   the response code of a refusal (TOOBIG, LIMIT, ...), else null
     * @param text   why it was refused, for the response and the log line, else null
     */
    record Decision(Route route, Status status, String code, String text) {
        static final Decision MEMORY = new Decision(Route.MEMORY, null, null, null);
        static final Decision STREAM = new Decision(Route.STREAM, null, null, null);

        static Decision refuse(Status status, String code, String text) {
            return new Decision(Route.REFUSE, status, code, text);
        }
    }

    private final LiteralBudget budget;
    /** Bytes of the running command's literals held in memory, and reserved from the budget. */
    private long held;
    /** The running command's streamed literals, in the order the line names them. */
    private final List<MessageUpload> uploads = new ArrayList<>();
    /** Why writing a streamed literal failed (the disk is full), or null. */
    private IOException failure;

    LiteralIntake(LiteralBudget budget) {
        this.budget = budget;
    }

    /** The receiver's limits in a state: a few KB of line and literal before login. */
    static ParserLimits limits(SessionState state, ImapdConfig c) {
        if (state instanceof SessionState.NotAuthenticated) {
            return new ParserLimits(Math.min(c.line_max(), c.line_max_prelogin()),
                    Math.min(c.literal_max(), c.literal_max_prelogin()), c.nesting_max());
        }
        // After login every announcement comes to admit(), which knows the command: a message over
        // literal.max is NO [TOOBIG] for APPEND/REPLACE (RFC 7889 4), BAD [TOOBIG] for the others.
        return new ParserLimits(c.line_max(), Long.MAX_VALUE, c.nesting_max());
    }

    /**
     * Decides where an announced literal goes (the receiver has checked it against {@link #limits});
     * for {@link Route#STREAM} the upload is made and the bytes go to {@link #data}.
     */
    Decision admit(Event.LiteralAnnounced literal, SessionState state, ImapdConfig c) {
        long size = literal.size();
        boolean loggedIn = state instanceof SessionState.LoggedIn;
        long share = loggedIn ? c.line_max() : Math.min(c.literal_max(), c.literal_max_prelogin());
        boolean message = MESSAGE_COMMANDS.contains(String.valueOf(literal.command()));
        if (loggedIn && message && size > c.literal_max()) {
            return Decision.refuse(Status.NO, "TOOBIG", "Message of " + size + " bytes exceeds the limit of "
                    + c.literal_max() + " bytes (APPENDLIMIT)");
        }
        boolean fits = size <= share - held;
        if (fits && budget.reserve(size)) {
            held += size;
            return Decision.MEMORY;
        }
        if (state instanceof SessionState.LoggedIn in && message) {
            try {
                uploads.add(in.mail().upload());
                return Decision.STREAM;
            } catch (StoreException e) {
                return Decision.refuse(Status.NO, e.reason().name(), "Cannot take the message: " + e.getMessage());
            }
        }
        if (!fits) {
            // The share is the command's, for all its literals together: when earlier ones count, say
            // so, or "8000 bytes exceed 8192" reads as a wrong sum to the user and the operator.
            String what = held == 0 ? "Literal of " + size + " bytes exceeds"
                    : "Literals of " + (held + size) + " bytes in one command (this one " + size + " bytes) exceed";
            return Decision.refuse(Status.BAD, "TOOBIG", what + " the limit of " + share
                    + (loggedIn ? " bytes (line.max) for a command other than APPEND" : " bytes before login (literal.max.prelogin)"));
        }
        return Decision.refuse(Status.NO, "LIMIT", "No memory for a literal of " + size
                + " bytes now (buffer.budget in use); try again later");
    }

    /** Bytes of the literal being streamed, as the receiver hands them over. */
    void data(ByteBuffer bytes) {
        if (failure != null) {
            return; // the command fails anyway; the client's bytes are read and dropped
        }
        try {
            uploads.get(uploads.size() - 1).write(bytes);
        } catch (IOException e) {
            failure = e;
            uploads.forEach(MessageUpload::close);
        }
    }

    /**
     * The running command's streamed literal of that number ({@link posthorn.imap.protocol.ArgReader#streamedLiteral()}).
     *
     * @throws StoreException SERVERBUG if it could not be written
     */
    MessageUpload streamed(int index) throws StoreException {
        if (failure != null) {
            throw new StoreException(StoreException.Reason.SERVERBUG, "Cannot store the message: " + failure.getMessage());
        }
        if (index < 0 || index >= uploads.size()) {
            throw new IllegalArgumentException("no streamed literal " + index);
        }
        return uploads.get(index);
    }

    /** The command is done (run, refused or dropped): memory back to the budget, unused uploads removed. */
    void commandDone() {
        budget.release(held);
        held = 0;
        for (MessageUpload u : uploads) {
            u.close();
        }
        uploads.clear();
        failure = null;
    }
}
