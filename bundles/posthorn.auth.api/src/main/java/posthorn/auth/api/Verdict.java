package posthorn.auth.api;

/**
 * What a password database says of a login attempt. The chain moves on to the next backend on
 * {@link NoSuchUser} and {@link Unavailable}, and by default stops on {@link WrongPassword}.
 */
public sealed interface Verdict {

    /**
     * The password is right.
     *
     * @param user the user's record if this backend also holds it, else {@code null} and the chain
     *             asks the user databases
     */
    record Success(UserRecord user) implements Verdict {
    }

    /** The backend does not know the user. */
    record NoSuchUser() implements Verdict {
    }

    /** The backend knows the user and the password is wrong (or the account cannot log in). */
    record WrongPassword(String reason) implements Verdict {
    }

    /** The backend could not answer (directory down, file unreadable); the reason is for the log. */
    record Unavailable(String reason) implements Verdict {
    }

    Verdict NO_SUCH_USER = new NoSuchUser();
}
