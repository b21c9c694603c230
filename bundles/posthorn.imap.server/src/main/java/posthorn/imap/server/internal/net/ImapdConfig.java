package posthorn.imap.server.internal.net;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * config/imapd.cfg: the listener and the session limits. Keys are the method names with '_' read
 * as '.', as DS maps them (so {@code max_connections} is {@code max.connections}). Every value is
 * checked when the file is read ({@link ImapdSettings}): the server never runs with a value that
 * does not fit its key.
 */
@ObjectClassDefinition(name = "Posthorn IMAP server", description = "Listener and session settings")
public @interface ImapdConfig {

    @AttributeDefinition(description = "Address to listen on; 0.0.0.0 or :: for all")
    String bind() default "127.0.0.1";

    @AttributeDefinition(description = "Plain IMAP port (with STARTTLS when TLS is set up)")
    int port() default 1143;

    @AttributeDefinition(description = "IMAPS port (TLS from the first byte) on the same address; 0 = none")
    int tls_port() default 1993;

    @AttributeDefinition(description = "PEM file with the server certificate, then its chain")
    String tls_cert() default "";

    @AttributeDefinition(description = "PEM file with the private key (PKCS#8 or PKCS#1; RSA or EC), unencrypted")
    String tls_key() default "";

    @AttributeDefinition(description = "Make a self-signed certificate and key at tls.cert and tls.key when they are missing")
    boolean tls_selfsigned() default false;

    @AttributeDefinition(description = "Offer STARTTLS on the plain port when TLS is set up")
    boolean starttls() default true;

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

    @AttributeDefinition(description = "Largest literal accepted after login, in bytes: an APPEND message, which streams to the Maildir's tmp/")
    long literal_max() default 64L << 20;

    @AttributeDefinition(description = "Longest command line accepted after login, in bytes, literals not counted; also the most literal bytes a command other than APPEND may hold in memory")
    int line_max() default 65_536;

    @AttributeDefinition(description = "Most literal bytes one command may hold before login (user names, passwords, SASL); a larger literal is refused before the client sends it")
    long literal_max_prelogin() default 8192;

    @AttributeDefinition(description = "Longest command line accepted before login, in bytes, literals not counted")
    int line_max_prelogin() default 8192;

    @AttributeDefinition(description = "Bytes of literals all sessions together may hold in memory; a literal that does not fit is refused with NO [LIMIT] (APPEND's messages go to disk instead)")
    long buffer_budget() default 64L << 20;

    @AttributeDefinition(description = "Deepest nesting of parenthesised lists in a command")
    int nesting_max() default 32;

    @AttributeDefinition(description = "Failed logins on one connection before it is closed")
    int max_bad_logins() default 3;

    @AttributeDefinition(description = "Seconds a write to a client that does not read may take before the session ends")
    int write_timeout() default 60;

    @AttributeDefinition(description = "Commands per second accepted before login; more get BAD, twice as many BYE; 0 = no limit")
    int prelogin_rate() default 10;

    @AttributeDefinition(description = "Milliseconds every login attempt from an address or for a user with one recent failure waits before its password is checked, right or wrong; doubles with each further failure (abandoned and parallel attempts count); 0 = no delay")
    long auth_delay_base() default 500;

    @AttributeDefinition(description = "Longest delay of a login attempt, in milliseconds")
    long auth_delay_max() default 15_000;

    @AttributeDefinition(description = "Seconds after which a failed login no longer counts toward the delay")
    int auth_delay_window() default 900;

    @AttributeDefinition(description = "Allow LOGIN and AUTHENTICATE PLAIN without TLS from any address, not only from trusted.networks")
    boolean allow_plaintext() default false;

    @AttributeDefinition(description = "Addresses (CIDR blocks, separated by commas) that may send passwords without TLS; empty = none")
    String trusted_networks() default TrustedNetworks.DEFAULT;

    @AttributeDefinition(description = "Proxies (CIDR blocks or addresses, separated by commas) whose connections start with a PROXY "
            + "protocol header (v1 or v2, as nginx's proxy_protocol and HAProxy send it) naming the client; the client's address then "
            + "counts for rules, limits, the login delay, logs and imap:who. A connection from them without a valid header is closed; "
            + "a PROXY header from any other address is refused. Empty = no proxy")
    String proxy_trusted() default "";

    @AttributeDefinition(description = "Seconds a trusted proxy has to send the whole PROXY header after connecting")
    int proxy_timeout() default 5;

    @AttributeDefinition(description = "Access rules: a file in tcprules' text syntax (127.:allow, :deny), or the .cdb tcprules compiles it to; "
            + "read again when it changes; empty = every client allowed")
    String rules() default "";

    @AttributeDefinition(description = "Milliseconds to look up a client's host name (reverse, then forward to check it) when the rules have =host rules; "
            + "0 = never (=host rules then never match, as tcpserver -H)")
    int rules_dns_timeout() default 2000;

    @AttributeDefinition(description = "BAD answers in a row (unknown commands, bad syntax) before the session is ended with BYE; 0 = no limit")
    int max_bad_commands() default 20;

    @AttributeDefinition(description = "Log lines of one kind about one client address per log.repeat.window; more are counted and summed up in one line; 0 = no limit")
    int log_repeat_max() default 5;

    @AttributeDefinition(description = "Seconds over which log.repeat.max counts")
    int log_repeat_window() default 10;

    @AttributeDefinition(description = "Levels of MIME parts followed in a message, the message the first (as Dovecot: 100); "
            + "a multipart or message/rfc822 on the last level is one opaque part; 1 to 1000")
    int mime_max_depth() default 100;

    @AttributeDefinition(description = "MIME parts followed in a message, the message included (as Dovecot: 10000); "
            + "the last part takes the rest of its multipart")
    int mime_max_parts() default 10_000;

    @AttributeDefinition(description = "KB of messages one FETCH of ENVELOPE/BODY/BODYSTRUCTURE, or a first SORT/THREAD, "
            + "reads and parses ahead on other threads when the values are not cached yet; 0 = none, one message at a time")
    int fetch_readahead_kb() default 4096;

    @AttributeDefinition(description = "METADATA (RFC 5464: GETMETADATA, SETMETADATA) on, where the store keeps annotations; "
            + "false = not announced, and the commands answer NO [CANNOT]")
    boolean metadata() default true;

    @AttributeDefinition(description = "Octets of one METADATA entry value; a bigger one is NO [METADATA MAXSIZE n] "
            + "(a SETMETADATA command, values included, is also bounded by line.max)")
    int metadata_max_size() default 32_768;

    @AttributeDefinition(description = "METADATA entries on one mailbox, and on the server per user; more is NO [METADATA TOOMANY]")
    int metadata_max_entries() default 100;

    @AttributeDefinition(description = "Octets of a METADATA entry name; a longer one is BAD")
    int metadata_max_name() default 1024;

    @AttributeDefinition(description = "Levels of OR, NOT and parentheses in search keys (SEARCH, SORT, THREAD); deeper is BAD")
    int search_max_depth() default 100;

    @AttributeDefinition(description = "Mailboxes one session's NOTIFY (RFC 5465) may watch for message events; "
            + "a NOTIFY SET naming more is refused NO [NOTIFICATIONOVERFLOW], growing past it later ends the "
            + "session's notifications with OK [NOTIFICATIONOVERFLOW]")
    int notify_max_mailboxes() default 100;

    @AttributeDefinition(description = "Milliseconds between INPROGRESS (RFC 9585) progress responses of a long "
            + "command (SEARCH, FETCH, COPY, MOVE, EXPUNGE); the first comes after one interval. The RFC "
            + "recommends 10 to 15 seconds")
    int inprogress_interval() default 10_000;

    @AttributeDefinition(description = "SEARCH/SORT RETURN (UPDATE) contexts one session may keep open (RFC 5267 4.2; "
            + "each is searched again as its mailbox changes); more are answered NO [NOUPDATE], 0 to 1000, 0 = none")
    int search_update_max() default 10;

    @AttributeDefinition(description = "Logins (separated by commas) that may change the limits of their own quota "
            + "with SETQUOTA (RFC 9208; announced to them as QUOTASET); empty = nobody, SETQUOTA is NO [NOPERM]")
    String quota_set() default "";
    @AttributeDefinition(description = "Which non-synchronizing literals (RFC 7888) the server announces and takes: LITERAL+ "
            + "(any size up to the limits) or LITERAL- (up to 4096 bytes; a larger one is answered BAD [TOOBIG] and the connection closed)")
    String literal_nonsync() default "LITERAL+";

    @AttributeDefinition(description = "zlib level of COMPRESS=DEFLATE (RFC 4978) for what the server sends: 1 fastest to 9 smallest "
            + "(the memory a session takes is the same for every level)")
    int compress_level() default 6;

    @AttributeDefinition(description = "Personal namespace prefix: empty (folders at the top level, Foo is .Foo, as Dovecot) "
            + "or INBOX. (Courier-IMAP's names: INBOX.Foo is .Foo); the same directories either way")
    String namespace_prefix() default "";

    @AttributeDefinition(description = "Longest IMAP URL in characters that CATENATE, GENURLAUTH and URLFETCH take "
            + "(RFC 5092); a longer one is NO [BADURL]; 64 to 65536")
    int url_max_length() default 8192;

    @AttributeDefinition(description = "Most TEXT and URL parts in one CATENATE (RFC 4469); more is BAD [TOOBIG]; 1 to 10000")
    int catenate_max_parts() default 256;

    @AttributeDefinition(description = "Logins (separated by commas) of submission servers that may URLFETCH "
            + "URLAUTH URLs whose access is submit+USER (RFC 4467); empty = nobody")
    String urlauth_submit() default "";

    @AttributeDefinition(description = "Most URLAUTH keys one user holds, one per mailbox GENURLAUTH signed for "
            + "(RFC 4467); a GENURLAUTH that needs one more is NO [LIMIT]; 1 to 100000")
    int urlauth_keys_max() default 1000;
}
