package posthorn.imap.server.internal.session;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The memory all sessions together may hold for literals at once (imapd.cfg {@code buffer.budget}):
 * a literal is taken into memory only if its bytes fit in what is left, and they count until the
 * command that holds them is done. One per server; thread-safe.
 */
public final class LiteralBudget {
    private final AtomicLong used = new AtomicLong();
    private final LongSupplier capacity;

    /** @param capacity the budget in bytes, read at each reservation (the configuration may change) */
    public LiteralBudget(LongSupplier capacity) {
        this.capacity = capacity;
    }

    /** Takes {@code bytes} from the budget if they fit; returns whether they did. */
    boolean reserve(long bytes) {
        long limit = capacity.getAsLong();
        while (true) {
            long now = used.get();
            if (bytes > limit - now) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back what {@link #reserve} took. */
    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** Bytes held now, by all sessions. */
    public long used() {
        return used.get();
    }

    /** The budget now, in bytes. */
    public long capacity() {
        return capacity.getAsLong();
    }
}
