package posthorn.imap.server.internal.auth;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** config/auth.cfg: which backends are active, in which order, and how long the chain may take. */
@ObjectClassDefinition(name = "Posthorn auth chain")
public @interface AuthConfig {

    @AttributeDefinition(description = "Active backends in the order they are asked, by their names "
            + "(the posthorn.auth.backend property of their services), e.g. 'userdb, ldap'. While one is not "
            + "running, a user no other backend knows is told to try later (NO [UNAVAILABLE])")
    String[] backends() default {"userdb"};

    @AttributeDefinition(description = "Whether a wrong password at one backend ends the attempt "
            + "(true) or lets the next backend try (false)")
    boolean stop_on_wrong_password() default true;

    @AttributeDefinition(description = "Seconds a successful password check is remembered, so that repeated "
            + "logins skip a slow hash; 0 turns the cache off. A changed or revoked password may keep "
            + "working this long.")
    long cache_ttl() default 60;

    @AttributeDefinition(description = "Seconds a login may spend in the chain, all backends together; past it the "
            + "answer is NO [UNAVAILABLE], the backend's call is abandoned and the backend skipped for backend.retry")
    double chain_timeout() default 15;

    @AttributeDefinition(description = "Seconds a backend that could not answer (UNAVAILABLE, an error, a timeout) "
            + "is skipped, so that the rest of the chain answers at once; then one login tries it again. "
            + "While it is skipped, a user no other backend knows is told to try later. 0 asks it every time")
    double backend_retry() default 5;
}
