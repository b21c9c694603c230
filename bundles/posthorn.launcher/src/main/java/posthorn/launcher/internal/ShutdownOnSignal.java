package posthorn.launcher.internal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.launcher.api.ProcessExit;

/**
 * The process's end, both ways. On SIGTERM (and SIGINT) it stops the framework cleanly, so every
 * component deactivates (sessions get BYE, files are closed), then ends the JVM with status 0, as a
 * supervisor such as daemontools or systemd expects of a clean stop; without it the JVM would exit
 * with 143 and skip deactivation. A stop of the framework from inside ({@code stop 0}, {@code
 * shutdown} on the console) is a clean stop too: the JVM ends with status 0, not bnd's 117. Asked by a bundle ({@link ProcessExit}), it stops the framework the
 * same way and ends the JVM with the status asked for.
 *
 * <p>Either way the JVM ends with {@link Runtime#halt}, from the thread that stopped the framework or
 * from the shutdown hook: once the framework has stopped, bnd's launcher calls System.exit with a
 * status of its own, which runs the hook, and the hook ends the JVM with the status asked for. An
 * exit asked for while the framework is still starting waits until it has started (the console
 * starts last, and stopped halfway it prints a stack trace), at most {@link #START_WAIT_MS}.
 */
@Component(immediate = true, service = ProcessExit.class)
public final class ShutdownOnSignal implements ProcessExit {
    private static final Logger LOG = LoggerFactory.getLogger(ShutdownOnSignal.class);
    private static final long STOP_TIMEOUT_MS = 20_000;
    static final long START_WAIT_MS = 30_000;
    static final long START_SETTLE_MS = 1_000;
    private static final int NONE = -1;

    private Framework framework;
    private Thread hook;
    private volatile boolean signalled;
    /** The framework itself was stopped from inside (the console's {@code stop 0} or {@code shutdown}). */
    private volatile boolean frameworkStopped;
    /** The status a bundle asked to exit with, or NONE. */
    private final AtomicInteger requested = new AtomicInteger(NONE);
    /** Open once the framework has started (reached its beginning start level: STARTING becomes ACTIVE). */
    private final CountDownLatch started = new CountDownLatch(1);
    private FrameworkListener startListener;

    @Activate
    void activate(BundleContext context) {
        framework = (Framework) context.getBundle(0);
        startListener = e -> {
            if (e.getType() == FrameworkEvent.STARTED) {
                started.countDown();
            }
        };
        context.addFrameworkListener(startListener);
        if (framework.getState() == Framework.ACTIVE) {
            started.countDown(); // started before this component (a restart of the bundle)
        }
        hook = new Thread(this::shuttingDown, "posthorn-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Deactivate
    void deactivate(BundleContext context) {
        context.removeFrameworkListener(startListener);
        started.countDown();
        if (signalled || requested.get() != NONE) {
            return; // the hook ends the JVM with the right status
        }
        if (context.getBundle(0).getState() == Framework.STOPPING) {
            // `stop 0` or `shutdown` from the console: a clean stop asked by the operator. bnd's
            // launcher then exits with a status of its own (117); the hook makes it 0.
            frameworkStopped = true;
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down
        }
    }

    @Override
    public void exit(int status, String reason) {
        if (status < 1 || status > 125) {
            throw new IllegalArgumentException("exit status " + status + " is not 1 to 125");
        }
        if (!requested.compareAndSet(NONE, status)) {
            return;
        }
        LOG.info("stopping: {}; exit status {}", reason, status);
        Thread.ofPlatform().name("posthorn-exit").start(() -> {
            try {
                started.await(START_WAIT_MS, TimeUnit.MILLISECONDS);
                // The console's own thread runs its first command (gosh) just after STARTED; a
                // framework stopped under it prints a multi-line trace. Give it a moment.
                Thread.sleep(START_SETTLE_MS);
            } catch (InterruptedException e) {
                // stop now
            }
            stopAndHalt(status);
        });
    }

    /** The JVM is shutting down: a signal, or bnd's launcher exiting after the framework stopped. */
    private void shuttingDown() {
        int status = requested.get();
        if (status != NONE) {
            // the exit thread stops the framework and logs; end with its status whoever is first
            try {
                framework.waitForStop(STOP_TIMEOUT_MS);
            } catch (InterruptedException e) {
                // halt anyway
            }
            System.err.flush();
            Runtime.getRuntime().halt(status);
        }
        if (frameworkStopped) {
            halt(0); // the framework has stopped already; bnd's launcher is exiting
        }
        signalled = true;
        LOG.info("signal received; stopping");
        stopAndHalt(0);
    }

    private static void halt(int status) {
        LOG.info("stopped cleanly");
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    private void stopAndHalt(int status) {
        try {
            framework.stop();
            framework.waitForStop(STOP_TIMEOUT_MS);
            LOG.info(status == 0 ? "stopped cleanly" : "stopped; exit status " + status);
            System.err.flush();
            Runtime.getRuntime().halt(status);
        } catch (BundleException | InterruptedException | RuntimeException e) {
            LOG.error("stopping failed: {}", e.toString());
            System.err.flush();
            Runtime.getRuntime().halt(status == 0 ? 1 : status);
        }
    }
}
