package posthorn.imap.server.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * config/imapd.cfg: the listener and the session limits. Keys are the method names with '_' read
 * as '.', as DS maps them (so {@code max_connections} is {@code max.connections}).
 */
@ObjectClassDefinition(name = "Posthorn IMAP server", description = "Listener and session settings")
public @interface ImapdConfig {

    @AttributeDefinition(description = "Address to listen on; 0.0.0.0 or :: for all")
    String bind() default "127.0.0.1";

    @AttributeDefinition(description = "Plain IMAP port (STARTTLS comes with TLS support)")
    int port() default 1143;

    @AttributeDefinition(description = "Name in the greeting")
    String hostname() default "";

    @AttributeDefinition(description = "Most connections at once; more are greeted with BYE and closed")
    int max_connections() default 1000;

    @AttributeDefinition(description = "Most connections at once from one IP address")
    int max_per_ip() default 20;

    @AttributeDefinition(description = "Seconds a logged-in session may be idle before autologout (RFC 3501: at least 30 min)")
    int idle_timeout() default 1800;

    @AttributeDefinition(description = "Seconds a client has to log in")
    int login_timeout() default 60;

    @AttributeDefinition(description = "Largest literal accepted, in bytes")
    long literal_max() default 64L << 20;

    @AttributeDefinition(description = "Longest command line accepted, in bytes, literals not counted")
    int line_max() default 65_536;

    @AttributeDefinition(description = "Deepest nesting of parenthesised lists in a command")
    int nesting_max() default 32;

    @AttributeDefinition(description = "Failed logins on one connection before it is closed")
    int max_bad_logins() default 3;

    @AttributeDefinition(description = "Allow LOGIN and AUTHENTICATE PLAIN without TLS from non-loopback addresses")
    boolean allow_plaintext() default false;
}
