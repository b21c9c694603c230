package posthorn.imap.server.internal.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/** THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 2.2, 2.3) and the thread list's syntax. */
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
                if (prev != null && r.parent == null && r != prev && !isAncestor(r, prev)) {
                    link(prev, r);
                }
                prev = r;
            }
            // (1B) the last reference is the message's parent
            if (prev != null && prev != self && !isAncestor(self, prev)) {
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
        roots = prune(roots, true);
        // (5) sort the root set (children first, so that dummies take their first child's date)
        for (Node r : roots) {
            sortTree(r);
        }
        roots.sort(BY_DATE);
        // (6) group by base subject
        roots = groupBySubject(roots);
        for (Node r : roots) {
            sortTree(r);
        }
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

    private static List<Node> prune(List<Node> nodes, boolean atRoot) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            List<Node> kids = prune(new ArrayList<>(n.children), false);
            n.children.clear();
            for (Node k : kids) {
                k.parent = n;
                n.children.add(k);
            }
            if (n.message == null) {
                if (n.children.isEmpty()) {
                    continue;
                }
                if (!atRoot || n.children.size() == 1) {
                    for (Node k : n.children) {
                        k.parent = atRoot ? null : n.parent;
                        out.add(k);
                    }
                    continue;
                }
            }
            out.add(n);
        }
        return out;
    }

    private static void sortTree(Node n) {
        for (Node c : n.children) {
            sortTree(c);
        }
        n.children.sort(BY_DATE);
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
        List<Node> removed = new ArrayList<>();
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
        for (Node r : roots) {
            b.append('(');
            node(b, r, number);
            b.append(')');
        }
        return b.toString();
    }

    private static void node(StringBuilder b, Node n, ToLongFunction<SortData> number) {
        if (n.message != null) {
            b.append(number.applyAsLong(n.message));
            if (n.children.size() == 1) {
                b.append(' ');
                node(b, n.children.get(0), number);
                return;
            }
            if (!n.children.isEmpty()) {
                b.append(' ');
            }
        }
        for (Node c : n.children) {
            b.append('(');
            node(b, c, number);
            b.append(')');
        }
    }
}
