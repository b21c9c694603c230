package posthorn.launcher.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.launcher.api.Hangup;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP reloads instead of ending the process. The JVM's own handler for HUP runs the shutdown
 * hooks (so {@code svc -h} stopped the server and dropped every session); this one calls every
 * registered {@link Hangup} on a thread of its own and the process runs on. A SIGHUP that comes while
 * a reload runs is folded into one more reload after it, not queued once per signal. Until this
 * component is active (the first second of a start), SIGHUP still stops the process; after it is
 * deactivated, the JVM's handler is back.
 *
 * <p>sun.misc.Signal is the JDK's supported way (module jdk.unsupported) to handle a signal; the
 * framework delegates sun.* to the JDK (cnf/runtime.bnd, org.osgi.framework.bootdelegation).
 */
@Component(immediate = true, service = {})
public final class ReloadOnHangup {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadOnHangup.class);
    private static final Signal HUP = new Signal("HUP");

    private final List<Hangup> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private SignalHandler previous;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindHangup(Hangup h) {
        listeners.add(h);
    }

    void unbindHangup(Hangup h) {
        listeners.remove(h);
    }

    @Activate
    void activate() {
        try {
            previous = Signal.handle(HUP, s -> signalled());
            if (previous == SignalHandler.SIG_IGN) {
                // the JVM keeps a HUP its parent ignored (nohup, some init scripts) ignored and
                // installs nothing: SIGHUP does nothing at all here, so say so once
                LOG.warn("SIGHUP is ignored by this process (it was started with SIGHUP ignored, e.g. under nohup): "
                        + "reload with imap:reload on the console (./posthorn shell -c imap:reload) instead");
            }
        } catch (IllegalArgumentException e) {
            LOG.warn("SIGHUP cannot be handled here ({}); it stops the process", e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        if (previous != null) {
            Signal.handle(HUP, previous);
        }
    }

    /** On the JVM's signal thread: hand the work to a thread of its own and return. */
    private void signalled() {
        again.set(true);
        if (!running.compareAndSet(false, true)) {
            LOG.info("SIGHUP received during a reload; one more reload follows it");
            return;
        }
        Thread.ofPlatform().name("posthorn-hangup").daemon().start(() -> {
            try {
                while (again.getAndSet(false)) {
                    LOG.info("SIGHUP received; reloading ({} listeners)", listeners.size());
                    for (Hangup h : listeners) {
                        try {
                            h.hangup();
                        } catch (RuntimeException e) {
                            LOG.error("reload on SIGHUP failed in {}: {}", h.getClass().getName(), e.toString());
                        }
                    }
                }
            } finally {
                running.set(false);
            }
        });
    }
}
