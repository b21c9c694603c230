package posthorn.http.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** config/http.cfg: the HTTP endpoint (auth_http for nginx, /metrics, /health). Read and checked by {@link HttpSettings}. */
@ObjectClassDefinition(name = "Posthorn HTTP endpoint", description = "nginx auth_http, Prometheus /metrics and /health")
public @interface HttpConfig {

    @AttributeDefinition(description = "Whether the endpoint listens at all; off by default")
    boolean enabled() default false;

    @AttributeDefinition(description = "The address to listen on: an IP address, loopback or private (the endpoint has no TLS and no password)")
    String bind() default "127.0.0.1";

    @AttributeDefinition(description = "The TCP port to listen on")
    int port() default 8143;

    @AttributeDefinition(description = "The IMAP nodes auth_http routes to, comma-separated; each NAME IP:PORT [HEALTH-URL]. "
            + "A user goes to the live node with the highest rendezvous weight of (NAME, user): the name, not the address, is the node's identity")
    String nodes() default "";

    @AttributeDefinition(description = "Seconds between two health checks of each node (GET HEALTH-URL, 200 = up)")
    int health_interval() default 2;

    @AttributeDefinition(description = "Seconds a health check may take before the node counts as down")
    int health_timeout() default 1;

    @AttributeDefinition(description = "Addresses (IP, or CIDR prefix) allowed to ask /auth, comma-separated: nginx's")
    String auth_clients() default "127.0.0.0/8, ::1";
}
