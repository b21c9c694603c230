package posthorn.auth.cram.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** config/auth.cram.cfg: which challenge-response mechanisms may be offered. */
@ObjectClassDefinition(name = "Posthorn challenge-response mechanisms",
        description = "CRAM-MD5, CRAM-SHA1, CRAM-SHA256 and SCRAM-SHA-256, offered while a backend can supply secrets")
@interface CramConfig {

    @AttributeDefinition(description = "Mechanisms that may be offered (each only while some active backend"
            + " can supply a secret it can use)")
    String[] mechanisms() default {"CRAM-MD5", "CRAM-SHA1", "CRAM-SHA256", "SCRAM-SHA-256"};

    @AttributeDefinition(description = "SCRAM-SHA-256 iteration count (RFC 7677 asks for at least 4096)")
    int scram_iterations() default 4096;
}
