package posthorn.auth.api;

/**
 * Service properties of auth backends. A backend bundle registers its {@link PasswordDatabase} and,
 * if it has one, its {@link UserDatabase} with {@link #NAME} set to the same value, the name
 * operators write in {@code auth.cfg}'s {@code backends}.
 */
public final class AuthBackend {
    /** Service property: the backend's name, e.g. {@code userdb}, {@code ldap}. String. */
    public static final String NAME = "posthorn.auth.backend";

    private AuthBackend() {
    }
}
