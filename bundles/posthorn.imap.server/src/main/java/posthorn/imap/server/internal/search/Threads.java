package posthorn.imap.server.internal.search;

import java.io.IOException;
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

import posthorn.imap.protocol.ResponseWriter;

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
        /** The children of a node that has none: shared, never changed (most nodes are leaves). */
        private static final List<Node> NONE = List.of();
        final SortData message;
        Node parent;
        /** {@link #NONE} until the first child comes ({@link #adopt}); replaced whole, never cleared. */
        List<Node> children = NONE;

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

        /** Adds a child at the end, without setting its parent. */
        void adopt(Node child) {
            if (children == NONE) {
                children = new ArrayList<>(2);
            }
            children.add(child);
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
                root.adopt(child);
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
        Map<String, Node> byId = HashMap.newHashMap(messages.size() * 2);
        // messages without a Message-ID, or with one taken already: in no table, as they can be nobody's parent
        List<Node> unlisted = new ArrayList<>();
        for (SortData m : messages) {
            String id = m.messageId();
            Node self = new Node(m);
            Node known = id == null ? null : byId.get(id);
            if (known != null && known.message == null) {
                Node dummy = known;
                // Take over the dummy's place: its children and its parent.
                for (Node c : dummy.children) {
                    c.parent = self;
                }
                self.children = dummy.children;
                dummy.children = Node.NONE;
                if (dummy.parent != null) {
                    dummy.parent.children.remove(dummy);
                }
                byId.put(id, self);
            } else if (id == null || known != null) {
                unlisted.add(self);
            } else {
                byId.put(id, self);
            }
            // (1A) link the references as parent/child, without overriding or making loops
            Node prev = null;
            List<String> refs = m.references();
            for (int i = 0; i < refs.size(); i++) { // indexed: no iterator per message
                String ref = refs.get(i);
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
        for (Node n : unlisted) {
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
        parent.adopt(child);
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
            boolean dummies = false;
            List<Node> children = n.children;
            for (int i = 0; i < children.size(); i++) { // indexed: no iterator per node
                dummies |= children.get(i).message == null;
            }
            if (!dummies) {
                continue; // every child keeps its place
            }
            // below the root a dummy gives its place to its children (none: it goes)
            List<Node> kids = new ArrayList<>(n.children.size() + 4);
            for (Node c : n.children) {
                if (c.message != null) {
                    kids.add(c);
                } else {
                    kids.addAll(c.children);
                }
            }
            for (Node k : kids) {
                k.parent = n;
            }
            n.children = kids.isEmpty() ? Node.NONE : kids;
        }
        List<Node> out = new ArrayList<>(roots.size());
        for (Node r : roots) {
            // at the root a dummy stays if it has several children, gives its place to a single one
            if (r.message != null || r.children.size() > 1) {
                r.parent = null;
                out.add(r);
            } else if (r.children.size() == 1) {
                Node k = r.children.get(0);
                k.parent = null;
                out.add(k);
            }
        }
        return out;
    }

    /** Children by date, deepest first, so that a dummy takes the date of its first child as sorted. */
    private static void sortTrees(List<Node> roots) {
        List<Node> all = descendantsFirst(roots);
        for (int i = 0; i < all.size(); i++) {
            Node n = all.get(i);
            if (n.children.size() > 1) {
                n.children.sort(BY_DATE);
            }
        }
    }

    /** Every node of the trees, each after all of its descendants (pre-order, reversed). */
    private static List<Node> descendantsFirst(List<Node> roots) {
        List<Node> order = new ArrayList<>(roots.size() * 2);
        Deque<Node> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            order.add(n);
            List<Node> children = n.children;
            for (int i = 0; i < children.size(); i++) { // indexed: no iterator per node
                todo.push(children.get(i));
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
                r.children = Node.NONE;
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
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(bytes);
        try {
            write(roots, number, w);
            w.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toString(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** What closes a parenthesised node in {@link #write}'s stack; a node there opens one. */
    private static final Node CLOSE = new Node(null);
    /** A node that follows its parent in the same list ("1 2", not "1 (2)"): no parenthesis. */
    private static final Node INLINE = new Node(null);

    /**
     * Writes the thread list straight into the response (no String of it first), numbers from
     * {@code number}. Iterative: a thread as deep as a chain of thousands of replies takes no stack.
     */
    public static void write(List<Node> roots, ToLongFunction<SortData> number, ResponseWriter out) throws IOException {
        // What is still to write, next on top: CLOSE as ")", INLINE then a node as the node without
        // parentheses, a node alone as "(" node ")".
        Deque<Node> todo = new ArrayDeque<>();
        pushParenthesised(todo, roots);
        while (!todo.isEmpty()) {
            Node next = todo.pop();
            if (next == CLOSE) {
                out.raw(")");
                continue;
            }
            Node n;
            if (next == INLINE) {
                n = todo.pop();
            } else {
                out.raw("(");
                todo.push(CLOSE);
                n = next;
            }
            if (n.message != null) {
                out.number(number.applyAsLong(n.message));
                if (n.children.size() == 1) {
                    // a single reply follows in the same list: "1 2", not "1 (2)"
                    out.sp();
                    todo.push(n.children.get(0));
                    todo.push(INLINE);
                    continue;
                }
                if (!n.children.isEmpty()) {
                    out.sp();
                }
            }
            pushParenthesised(todo, n.children);
        }
    }

    /** Schedules "(" node ")" for each node, in order. */
    private static void pushParenthesised(Deque<Node> todo, List<Node> nodes) {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            todo.push(nodes.get(i));
        }
    }
}
