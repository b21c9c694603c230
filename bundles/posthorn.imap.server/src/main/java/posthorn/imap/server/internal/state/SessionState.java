package posthorn.imap.server.internal.state;

import posthorn.auth.api.UserRecord;
import posthorn.imap.server.internal.command.Command;
import posthorn.store.api.UserMail;

/**
 * The session's state (RFC 3501 3), each carrying what it owns. Moving to another state closes what
 * the old one owned and the new one does not take over.
 */
public sealed interface SessionState {

    Command.State kind();

    record NotAuthenticated() implements SessionState {
        @Override
        public Command.State kind() {
            return Command.State.NOT_AUTHENTICATED;
        }
    }

    /** Logged in: the user and their open mail. */
    record Authenticated(UserRecord user, UserMail mail) implements SessionState {
        @Override
        public Command.State kind() {
            return Command.State.AUTHENTICATED;
        }
    }

    /** A mailbox is selected: the session's view of it. */
    record Selected(UserRecord user, UserMail mail, SelectedMailbox mailbox) implements SessionState {
        @Override
        public Command.State kind() {
            return Command.State.SELECTED;
        }

        public Authenticated deselect() {
            mailbox.close();
            return new Authenticated(user, mail);
        }
    }

    /** LOGOUT was given or the connection is closing. */
    record Logout() implements SessionState {
        @Override
        public Command.State kind() {
            return null;
        }
    }
}
