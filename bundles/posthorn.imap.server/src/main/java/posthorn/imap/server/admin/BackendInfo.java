package posthorn.imap.server.admin;

import java.time.Duration;

/**
 * One backend of the auth chain and what it answered since the server started.
 *
 * @param position      its place in the chain, from 1
 * @param name          its name in auth.cfg's {@code backends}
 * @param state         whether it runs and answers
 * @param reason        why it is failing (what it last said), or {@code null}
 * @param ok            right passwords
 * @param wrongPassword wrong passwords (and accounts that cannot log in)
 * @param noSuchUser    users it does not know
 * @param unavailable   answers it could not give (down, an error, out of time)
 * @param p50           median time of its answers, or {@code null} before the first
 * @param p99           99th percentile of the same, or {@code null}
 */
public record BackendInfo(int position, String name, BackendState state, String reason, long ok, long wrongPassword,
                          long noSuchUser, long unavailable, Duration p50, Duration p99) {

    /** Whether a backend runs and answers. */
    public enum BackendState {
        /** Its bundle runs and it answers. */
        ACTIVE,
        /** Named in auth.cfg, but no such backend is running (its bundle is missing or stopped). */
        NOT_RUNNING,
        /** Running, but it could not answer lately; logins skip it for backend.retry at a time. */
        FAILING
    }

    @Override
    public String toString() {
        return position + ". " + name + " " + state + (reason == null ? "" : " (" + reason + ")") + " ok=" + ok
                + " wrong-password=" + wrongPassword + " no-such-user=" + noSuchUser + " unavailable=" + unavailable
                + " p50=" + millis(p50) + " p99=" + millis(p99);
    }

    static String millis(Duration d) {
        return d == null ? "-" : String.format(java.util.Locale.ROOT, "%.3f ms", d.toNanos() / 1e6);
    }
}
