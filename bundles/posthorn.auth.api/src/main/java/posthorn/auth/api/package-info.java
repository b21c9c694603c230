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
 *
 * <p>Roles: the backend bundles implement {@link posthorn.auth.api.PasswordDatabase},
 * {@link posthorn.auth.api.UserDatabase} and {@link posthorn.auth.api.CredentialSource}, mechanism
 * bundles (and the server, for PLAIN and LOGIN) implement {@link posthorn.auth.api.SaslMechanism} and
 * {@link posthorn.auth.api.SaslExchange}, and the server calls them all; the server implements
 * {@link posthorn.auth.api.Authenticator}, which the mechanisms call. Every interface is therefore
 * {@code @ProviderType}: a method added to one is a minor change that its implementers must follow
 * (they import this package up to the next minor version). The records, {@link posthorn.auth.api.Secret}
 * and {@link posthorn.auth.api.AuthBackend} are values and names both sides share.
 *
 * <p>The version below is checked against the last release by bnd's baseline at every build (see the
 * README, "Releasing and API versions"). One more rule bnd cannot see: the server switches over
 * {@link posthorn.auth.api.Verdict} and {@link posthorn.auth.api.SaslExchange.Step} exhaustively, so a
 * new kind of either needs a major version, even where bnd would accept a minor one for an added type.
 */
@Version("1.0.1")
@Export
package posthorn.auth.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
