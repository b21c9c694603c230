package posthorn.auth.ldap.internal;

import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.unboundid.ldap.sdk.LDAPException;

import posthorn.auth.api.AuthBackend;
import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.PasswordDatabase;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserDatabase;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;
import posthorn.auth.support.config.BadSetting;
import posthorn.auth.support.config.ConfigFile;

/**
 * An LDAP directory as an auth backend, named {@code ldap}: one object registered as password
 * database, user database and credential source (clear-text passwords for CRAM-MD5, only when
 * {@code credentials.plain} allows it). Active only while config/auth.ldap.cfg exists.
 *
 * <p>A configuration it cannot use is refused whole, in one log line naming the key: the directory
 * set up before keeps serving, or, if there was none, logins answer Unavailable with that reason.
 *
 * <p>Thread-safe: all state is in the current {@link LdapDirectory}, swapped atomically when the
 * configuration changes; the old one is closed after the swap, so a login that was using it at
 * that instant may end {@link Verdict.Unavailable}.
 */
@Component(configurationPid = "auth.ldap", configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {PasswordDatabase.class, UserDatabase.class, CredentialSource.class},
        property = AuthBackend.NAME + "=ldap")
@Designate(ocd = LdapBackend.Config.class)
public class LdapBackend implements PasswordDatabase, UserDatabase, CredentialSource {

    @ObjectClassDefinition(name = "Posthorn LDAP backend",
            description = "Users and passwords in an LDAP directory (search-then-bind, bind-as-user or compare)")
    @interface Config {
        @AttributeDefinition(description = "ldap:// or ldaps:// URLs (host and port), separated by spaces or commas; later ones are failovers")
        String url();

        @AttributeDefinition(description = "Upgrade ldap:// connections with StartTLS (RFC 4513)")
        boolean starttls() default false;

        @AttributeDefinition(description = "PEM file of the CA certificates to trust; empty: the JVM's trust store")
        String ca_file() default "";

        @AttributeDefinition(description = "Service account DN for searches, reads and compares; empty: anonymous")
        String bind_dn() default "";

        @AttributeDefinition(type = AttributeType.PASSWORD, description = "Service account password")
        String bind_password() default "";

        @AttributeDefinition(description = "Where users are searched (mode bind and compare)")
        String base_dn() default "";

        @AttributeDefinition(description = "Search filter; %u is the login name, escaped per RFC 4515")
        String filter() default "(&(objectClass=posixAccount)(uid=%u))";

        @AttributeDefinition(description = "bind (search then bind as the user), dn (bind as dn.template), compare (search then compare the password)")
        String mode() default "bind";

        @AttributeDefinition(description = "The user's DN for mode=dn; %u is the login name, escaped per RFC 4514")
        String dn_template() default "";

        @AttributeDefinition(description = "Attribute with the canonical login name")
        String attr_login() default "uid";

        @AttributeDefinition(description = "Attribute with the password (mode=compare, credentials.plain)")
        String attr_password() default "userPassword";

        @AttributeDefinition(description = "Attribute with the home directory")
        String attr_home() default "homeDirectory";

        @AttributeDefinition(description = "Attribute with the Maildir (relative: under home); empty: none")
        String attr_maildir() default "mailMessageStore";

        @AttributeDefinition(description = "Attribute with the Maildir++ quota; empty: none")
        String attr_quota() default "";

        @AttributeDefinition(description = "Attribute with the numeric user id")
        String attr_uid() default "uidNumber";

        @AttributeDefinition(description = "Attribute with the numeric group id")
        String attr_gid() default "gidNumber";

        @AttributeDefinition(description = "Connections per pool (one pool for searches, one for user binds)")
        int pool_size() default 8;

        @AttributeDefinition(description = "Milliseconds to connect (and to wait for a pooled connection)")
        int connect_timeout() default 5000;

        @AttributeDefinition(description = "Milliseconds a login may wait for the directory's answers, all of them together")
        int response_timeout() default 10000;

        @AttributeDefinition(description = "Seconds a directory that cannot be reached (refused, no answer in time) is"
                + " not asked: logins answer 'unavailable' at once, then one tries again; 0: always ask")
        int down_retry() default 5;

        @AttributeDefinition(description = "Hand clear-text passwords in attr.password to CRAM-MD5 and the like")
        boolean credentials_plain() default false;
    }

    private static final Logger LOG = LoggerFactory.getLogger(LdapBackend.class);

    private final ConfigFile file = new ConfigFile("auth.ldap.cfg", LOG);
    private volatile LdapDirectory directory;

    /**
     * What DS calls with the file's contents: the keys are checked first (a near-miss key or a bad
     * boolean refuses the file, as a bad value does), then the values.
     */
    @Activate
    @Modified
    void configure(Config config, Map<String, Object> properties) {
        if (file.keysTaken(properties, Config.class, directory != null)) {
            activate(config);
        }
    }

    void activate(Config config) {
        try {
            activate(LdapSettings.of(config));
        } catch (BadSetting e) {
            file.refused(e, directory != null);
        }
    }

    /**
     * Activation with checked settings, for tests without a framework.
     *
     * @throws BadSetting if the directory cannot be set up with them
     */
    void activate(LdapSettings settings) {
        LdapDirectory next;
        try {
            next = new LdapDirectory(settings);
        } catch (GeneralSecurityException e) {
            throw new BadSetting("ca.file", "cannot be used: " + e.getMessage());
        } catch (LDAPException e) {
            throw new BadSetting("url", "cannot be used: " + e.getExceptionMessage());
        }
        LdapDirectory previous = directory;
        directory = next;
        file.taken();
        if (previous != null) {
            previous.close();
        }
        LOG.info("ldap: {}", settings);
    }

    @Deactivate
    void deactivate() {
        LdapDirectory d = directory;
        directory = null;
        if (d != null) {
            d.close();
        }
    }

    @Override
    public Verdict verify(String user, Secret password) {
        LdapDirectory d = directory;
        if (d == null) {
            return file.unavailable("ldap: not active");
        }
        return d.verify(user, password);
    }

    @Override
    public Optional<UserRecord> lookup(String user) {
        LdapDirectory d = directory;
        return d == null ? Optional.empty() : d.lookup(user);
    }

    @Override
    public Set<String> schemes() {
        LdapDirectory d = directory;
        return d != null && d.settings().credentialsPlain() ? Set.of(PLAIN) : Set.of();
    }

    @Override
    public Optional<Secret> credential(String user, String scheme) {
        LdapDirectory d = directory;
        if (d == null || !PLAIN.equals(scheme) || !d.settings().credentialsPlain()) {
            return Optional.empty();
        }
        return d.plainPassword(user);
    }
}
