package posthorn.launcher.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Called when the process gets SIGHUP ({@code svc -h}, {@code systemctl reload}, {@code kill -HUP}):
 * read again what was read from files. A bundle registers it as a service; the launcher calls every
 * one registered, one after the other, on a thread of its own, and the process goes on running (SIGHUP
 * would otherwise end the JVM). Deployed only in the runtime, as {@link ProcessExit}.
 */
@ConsumerType
public interface Hangup {
    /** Reads the configuration again; may take a while, must not throw (a throw is logged). */
    void hangup();
}
