package posthorn.launcher.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Ends the process for a condition it cannot run with (a port that cannot be bound at start), so that
 * a supervisor sees a failure and restarts it, rather than a process that runs and serves nothing.
 * Implemented by the launcher bundle; thread-safe.
 */
@ProviderType
public interface ProcessExit {
    /**
     * Stops the framework cleanly (every component deactivates, as on SIGTERM), then ends the JVM
     * with {@code status}. Returns at once: the stop runs on a thread of its own, so a component may
     * call this from its activate method. The first call decides the status; later calls are ignored.
     *
     * @param status the exit status, 1 to 125 (0 is a clean stop, which SIGTERM gives)
     * @param reason one line for the log, saying why the process ends
     */
    void exit(int status, String reason);
}
