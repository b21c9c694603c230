package posthorn.imap.server.internal.state;

import posthorn.auth.api.UserRecord;
import posthorn.store.api.UserMail;

/**
 * The session's state (RFC 3501 3), each carrying what it owns. Moving to another state closes what
 * the old one owned and the new one does not take over.
 *
 * <p>A command is declared valid in one of these types, and the session hands it the state as that
 * type: a command that needs a selected mailbox is given a {@link Selected} and cannot run without
 * one. {@link LoggedIn} is what RFC 3501 calls the authenticated state's commands' domain: they are
 * valid with or without a mailbox selected.
 */
public sealed interface SessionState {

    record NotAuthenticated() implements SessionState {
    }

    /** Logged in, with or without a mailbox selected: the user and their open mail. */
    sealed interface LoggedIn extends SessionState {
        UserRecord user();

        UserMail mail();
    }

    /** Logged in, no mailbox selected. */
    record Authenticated(UserRecord user, UserMail mail) implements LoggedIn {
    }

    /** A mailbox is selected: the session's view of it. */
    record Selected(UserRecord user, UserMail mail, SelectedMailbox mailbox) implements LoggedIn {
        /** Closes the view; the mail stays open. */
        public Authenticated deselect() {
            mailbox.close();
            return new Authenticated(user, mail);
        }
    }

    /** LOGOUT was given or the connection is closing. */
    record Logout() implements SessionState {
    }
}
