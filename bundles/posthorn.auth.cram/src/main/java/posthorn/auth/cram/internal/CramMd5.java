package posthorn.auth.cram.internal;

import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import posthorn.auth.api.SaslMechanism;

/** CRAM-MD5 (RFC 2195), from Courier's hmac-md5pw states or a clear password. */
@Component(configurationPid = "auth.cram", service = SaslMechanism.class,
        property = SaslMechanism.MECHANISM + "=CRAM-MD5")
@Designate(ocd = CramConfig.class)
public class CramMd5 extends CramMechanism {

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
        return "CRAM-MD5";
    }

    @Override
    String macAlgorithm() {
        return "HmacMD5";
    }

    @Override
    int macLength() {
        return 16;
    }

    @Override
    boolean usesHmacMd5States() {
        return true;
    }
}
