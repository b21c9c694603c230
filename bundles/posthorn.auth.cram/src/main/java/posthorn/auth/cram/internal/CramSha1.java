package posthorn.auth.cram.internal;

import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;

import posthorn.auth.api.SaslMechanism;

/** CRAM-SHA1 as Courier offers it: CRAM-MD5's exchange with HMAC-SHA1, from a clear password. */
@Component(configurationPid = "auth.cram", service = SaslMechanism.class,
        property = SaslMechanism.MECHANISM + "=CRAM-SHA1")
public class CramSha1 extends CramMechanism {

    /** What DS calls: the file's keys are checked too (see {@link CramSettings#of(CramConfig, Map)}). */
    @Activate
    @Modified
    void readConfig(CramConfig config, Map<String, Object> properties) {
        if (CramSettings.of(config, properties).isPresent()) {
            activate(config);
        }
    }

    void activate(CramConfig config) {
        configure(config);
    }

    @Override
    public String name() {
        return "CRAM-SHA1";
    }

    @Override
    String macAlgorithm() {
        return "HmacSHA1";
    }

    @Override
    int macLength() {
        return 20;
    }
}
