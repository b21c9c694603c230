package posthorn.http.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Rendezvous (highest random weight) hashing of users over nodes (Thaler and Ravishankar, 1998):
 * each (node name, user) pair gets a pseudo-random weight, and a user goes to the live node of
 * highest weight. A user's node changes only when that node goes (then to the next highest: its users
 * spread evenly over the rest) or a new node outweighs it (then it takes about 1/n of everyone); no
 * other user moves. The weight is the first 64 bits of SHA-256 over the node name and the user name
 * (lower case, as user databases fold it): stable across processes, JVMs and nodes, which must all
 * pick alike. Stateless and thread-safe.
 */
final class Rendezvous {
    private Rendezvous() {
    }

    /** The live node (as {@code up} says) of highest weight for the user, or null if none is up. */
    static Node choose(String user, Collection<Node> nodes, Predicate<Node> up) {
        Node best = null;
        long bestWeight = 0;
        for (Node n : nodes) {
            if (!up.test(n)) {
                continue;
            }
            long w = weight(n.name(), user);
            if (best == null || Long.compareUnsigned(w, bestWeight) > 0
                    || (w == bestWeight && n.name().compareTo(best.name()) < 0)) {
                best = n;
                bestWeight = w;
            }
        }
        return best;
    }

    static long weight(String node, String user) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        sha.update(node.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        byte[] h = sha.digest(user.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        long w = 0;
        for (int i = 0; i < 8; i++) {
            w = (w << 8) | (h[i] & 0xff);
        }
        return w;
    }
}
