package posthorn.imap.server.internal.search;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 2.2, 2.3), THREAD=REFS (Dovecot's) and the thread list's syntax.
 * A thread is as deep as its longest chain of replies, which the messages in the mailbox decide (a
 * sender can make a chain of thousands): so nothing here recurses down a thread; the walks keep
 * their own stacks, and the whole is linear in the messages and their references.
 */
public final class Threads {
    private Threads() {
    }

    /** A thread node: a message, or a dummy (null message) that only holds children. */
    public static final class Node {
        final SortData message;
        Node parent;
        final List<Node> children = new ArrayList<>();

        Node(SortData message) {
            this.message = message;
        }

        /** The sent date that orders this node: its own, or its first child's for a dummy. */
        long date() {
            return message != null ? message.sent() : children.isEmpty() ? 0 : children.get(0).date();
        }

        int seq() {
            return message != null ? message.seq() : children.isEmpty() ? 0 : children.get(0).seq();
        }
    }

    private static final Comparator<Node> BY_DATE = Comparator.comparingLong(Node::date).thenComparingInt(Node::seq);

    /** ORDEREDSUBJECT: grouped by base subject, each thread the first message with the rest as children. */
    public static List<Node> orderedSubject(List<SortData> messages) {
        List<SortData> sorted = new ArrayList<>(messages);
        sorted.sort(Comparator.comparing(SortData::subject).thenComparingLong(SortData::sent)
                .thenComparingInt(SortData::seq));
        Map<String, Node> threads = new LinkedHashMap<>();
        for (SortData m : sorted) {
            Node root = threads.get(m.subject());
            if (root == null) {
                threads.put(m.subject(), new Node(m));
            } else {
                Node child = new Node(m);
                child.parent = root;
                root.children.add(child);
            }
        }
        List<Node> roots = new ArrayList<>(threads.values());
        roots.sort(BY_DATE);
        return roots;
    }

    /** REFERENCES (RFC 5256 2.2, steps 1 to 6). */
    public static List<Node> references(List<SortData> messages) {
        List<Node> roots = linked(messages);
        // (6) group by base subject
        roots = groupBySubject(roots);
        sortTrees(roots);
        roots.sort(BY_DATE);
        return roots;
    }

    /**
     * REFS, as Dovecot 2.3 threads it (its THREAD=REFS, from draft-ietf-morg-inthread): REFERENCES'
     * steps 1 to 5 without the grouping by subject of step 6, children by sent date, and the threads
     * ordered by their latest message's sent date (ties: the lower sequence number of that message).
     * Checked against Dovecot by integration-tests/conformance/sortsearch.imapc.
     */
    public static List<Node> refs(List<SortData> messages) {
        List<Node> roots = linked(messages);
        Map<Node, long[]> latest = new IdentityHashMap<>();
        for (Node r : roots) {
            long[] best = {Long.MIN_VALUE, Integer.MAX_VALUE};
            Deque<Node> todo = new ArrayDeque<>();
            todo.push(r);
            while (!todo.isEmpty()) {
                Node n = todo.pop();
                if (n.message != null && (n.message.sent() > best[0]
                        || (n.message.sent() == best[0] && n.message.seq() < best[1]))) {
                    best[0] = n.message.sent();
                    best[1] = n.message.seq();
                }
                n.children.forEach(todo::push);
            }
            latest.put(r, best);
        }
        roots.sort(Comparator.<Node>comparingLong(n -> latest.get(n)[0]).thenComparingLong(n -> latest.get(n)[1]));
        return roots;
    }

    /** REFERENCES' steps 1 to 5: the messages linked by their references, dummies pruned, sorted by date. */
    private static List<Node> linked(List<SortData> messages) {
        Map<String, Node> byId = new HashMap<>();
        List<Node> all = new ArrayList<>();
        int unique = 0;
        for (SortData m : messages) {
            String id = m.messageId();
            Node self;
            if (id != null && byId.containsKey(id) && byId.get(id).message == null) {
                self = new Node(m);
                Node dummy = byId.get(id);
                // Take over the dummy's place: its children and its parent.
                for (Node c : dummy.children) {
                    c.parent = self;
                    self.children.add(c);
                }
                dummy.children.clear();
                if (dummy.parent != null) {
                    dummy.parent.children.remove(dummy);
                }
                byId.put(id, self);
            } else {
                self = new Node(m);
                byId.put(id == null || byId.containsKey(id) ? "\u0000unique" + unique++ : id, self);
            }
            all.add(self);
            // (1A) link the references as parent/child, without overriding or making loops
            Node prev = null;
            for (String ref : m.references()) {
                Node r = byId.computeIfAbsent(ref, k -> new Node(null));
                // a node without children (a reference seen for the first time) is nobody's ancestor:
                // no walk up from prev, which made a long References header cost its length squared
                if (prev != null && r.parent == null && r != prev && (r.children.isEmpty() || !isAncestor(r, prev))) {
                    link(prev, r);
                }
                prev = r;
            }
            // (1B) the last reference is the message's parent (a new message has no descendants to loop through)
            if (prev != null && prev != self && (self.children.isEmpty() || !isAncestor(self, prev))) {
                if (self.parent != null) {
                    self.parent.children.remove(self);
                    self.parent = null;
                }
                link(prev, self);
            }
        }
        // (2) the root set
        List<Node> roots = new ArrayList<>();
        for (Node n : byId.values()) {
            if (n.parent == null) {
                roots.add(n);
            }
        }
        // (4) prune dummies
        roots = prune(roots);
        // (5) sort the root set (children first, so that dummies take their first child's date)
        sortTrees(roots);
        roots.sort(BY_DATE);
        return roots;
    }

    private static void link(Node parent, Node child) {
        child.parent = parent;
        parent.children.add(child);
    }

    /** Whether {@code a} is {@code b} or an ancestor of it. */
    private static boolean isAncestor(Node a, Node b) {
        for (Node n = b; n != null; n = n.parent) {
            if (n == a) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 5256 2.2 step 4: dummies without children go, dummies below the root give their place to
     * their children, dummies at the root only when they have one child. Children first, so that a
     * node's children are pruned before it is judged.
     */
    private static List<Node> prune(List<Node> roots) {
        for (Node n : descendantsFirst(roots)) {
            List<Node> kids = new ArrayList<>();
            for (Node c : n.children) {
                kids.addAll(kept(c, false));
            }
            n.children.clear();
            for (Node k : kids) {
                k.parent = n;
                n.children.add(k);
            }
        }
        List<Node> out = new ArrayList<>();
        for (Node r : roots) {
            for (Node k : kept(r, true)) {
                k.parent = null;
                out.add(k);
            }
        }
        return out;
    }

    /** What takes a pruned node's place among its siblings: itself, its children, or nothing. */
    private static List<Node> kept(Node n, boolean atRoot) {
        if (n.message != null) {
            return List.of(n);
        }
        if (n.children.isEmpty()) {
            return List.of();
        }
        return !atRoot || n.children.size() == 1 ? List.copyOf(n.children) : List.of(n);
    }

    /** Children by date, deepest first, so that a dummy takes the date of its first child as sorted. */
    private static void sortTrees(List<Node> roots) {
        for (Node n : descendantsFirst(roots)) {
            n.children.sort(BY_DATE);
        }
    }

    /** Every node of the trees, each after all of its descendants (pre-order, reversed). */
    private static List<Node> descendantsFirst(List<Node> roots) {
        List<Node> order = new ArrayList<>();
        Deque<Node> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            order.add(n);
            for (Node c : n.children) {
                todo.push(c);
            }
        }
        Collections.reverse(order);
        return order;
    }

    private static SortData subjectSource(Node n) {
        return n.message != null ? n.message : n.children.get(0).message;
    }

    private static List<Node> groupBySubject(List<Node> roots) {
        Map<String, Node> table = new HashMap<>();
        for (Node r : roots) {
            SortData s = subjectSource(r);
            if (s == null || s.subject().isEmpty()) {
                continue;
            }
            Node old = table.get(s.subject());
            if (old == null
                    || (r.message == null && old.message != null)
                    || (old.message != null && subjectSource(old).reply() && r.message != null && !s.reply())) {
                table.put(s.subject(), r);
            }
        }
        List<Node> out = new ArrayList<>();
        Set<Node> removed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node r : roots) {
            SortData s = subjectSource(r);
            Node t = s == null || s.subject().isEmpty() ? null : table.get(s.subject());
            if (t == null || t == r) {
                continue;
            }
            if (t.message == null && r.message == null) {
                for (Node c : r.children) {
                    link(t, c);
                }
                r.children.clear();
            } else if (t.message == null) {
                link(t, r);
            } else if (r.message == null) {
                // keep the dummy where the table points; the non-dummy becomes its child
                link(r, t);
                table.put(s.subject(), r);
                removed.add(t);
                continue;
            } else if (!subjectSource(t).reply() && s.reply()) {
                link(t, r);
            } else {
                Node dummy = new Node(null);
                link(dummy, t);
                link(dummy, r);
                table.put(s.subject(), dummy);
                removed.add(t);
                out.add(dummy);
                continue;
            }
            removed.add(r);
        }
        List<Node> result = new ArrayList<>();
        for (Node r : roots) {
            if (!removed.contains(r) && r.parent == null) {
                result.add(r);
            }
        }
        for (Node d : out) {
            if (d.parent == null && !removed.contains(d)) {
                result.add(d);
            }
        }
        return result;
    }

    /** The thread list (RFC 5256 4: thread-list), numbers from {@code number}. */
    public static String format(List<Node> roots, ToLongFunction<SortData> number) {
        StringBuilder b = new StringBuilder();
        // What is still to write, next on top: a String as it is, a Node as its thread-members.
        Deque<Object> todo = new ArrayDeque<>();
        pushParenthesised(todo, roots);
        while (!todo.isEmpty()) {
            Object next = todo.pop();
            if (next instanceof String text) {
                b.append(text);
                continue;
            }
            Node n = (Node) next;
            if (n.message != null) {
                b.append(number.applyAsLong(n.message));
                if (n.children.size() == 1) {
                    // a single reply follows in the same list: "1 2", not "1 (2)"
                    b.append(' ');
                    todo.push(n.children.get(0));
                    continue;
                }
                if (!n.children.isEmpty()) {
                    b.append(' ');
                }
            }
            pushParenthesised(todo, n.children);
        }
        return b.toString();
    }

    /** Schedules "(" node ")" for each node, in order. */
    private static void pushParenthesised(Deque<Object> todo, List<Node> nodes) {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            todo.push(")");
            todo.push(nodes.get(i));
            todo.push("(");
        }
    }
}
