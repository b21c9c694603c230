/**
 * The auth SPIs, split as Dovecot splits them:
 * <ul>
 * <li>{@link posthorn.auth.api.PasswordDatabase}: verifies a password; the backends (passwd, userdb,
 * LDAP, SQL) register one each;</li>
 * <li>{@link posthorn.auth.api.CredentialSource}: an optional capability of a password database that
 * can hand out a stored secret, for challenge-response mechanisms (CRAM-MD5, SCRAM);</li>
 * <li>{@link posthorn.auth.api.UserDatabase}: finds a user's record (home, Maildir, quota, uid/gid);</li>
 * <li>{@link posthorn.auth.api.SaslMechanism}: a SASL mechanism (RFC 4422) offered by AUTHENTICATE.</li>
 * </ul>
 * Backends register their services with the property {@value posthorn.auth.api.AuthBackend#NAME}
 * naming the backend; the server orders them by its configured chain. Every service here is called
 * from many sessions at once and must be thread-safe. No implementation may log a password or a
 * secret, and every comparison of secrets is timing-safe.
 */
@Version("1.0.0")
@Export
package posthorn.auth.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
