package posthorn.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RendezvousTest {
    static final List<Node> THREE = List.of(Node.parse("n1 127.0.0.2:143"), Node.parse("n2 127.0.0.3:143"),
            Node.parse("n3 127.0.0.4:143"));

    static Map<String, String> route(List<Node> nodes, int users, java.util.function.Predicate<Node> up) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < users; i++) {
            String user = "user" + i + "@example.org";
            Node n = Rendezvous.choose(user, nodes, up);
            m.put(user, n.name());
        }
        return m;
    }

    @Test
    void aThousandUsersSpreadOverThreeNodesWithinFifteenPercentOfEven() {
        Map<String, String> routes = route(THREE, 1000, n -> true);
        Map<String, Integer> counts = new HashMap<>();
        routes.values().forEach(n -> counts.merge(n, 1, Integer::sum));
        assertEquals(3, counts.size(), counts.toString());
        double even = 1000 / 3.0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            assertTrue(Math.abs(e.getValue() - even) <= 0.15 * even, "node " + e.getKey() + " has " + e.getValue()
                    + " of 1000 users, more than 15% off " + even + ": " + counts);
        }
    }

    @Test
    void whenANodeGoesOnlyItsUsersMoveAndTheySpreadOverTheOthers() {
        Map<String, String> before = route(THREE, 1000, n -> true);
        Map<String, String> after = route(THREE, 1000, n -> !n.name().equals("n2"));
        Map<String, Integer> movedTo = new HashMap<>();
        int moved = 0;
        for (String user : before.keySet()) {
            if (before.get(user).equals("n2")) {
                assertNotEquals("n2", after.get(user));
                movedTo.merge(after.get(user), 1, Integer::sum);
                moved++;
            } else {
                assertEquals(before.get(user), after.get(user), "user " + user + " moved though its node is up");
            }
        }
        assertTrue(moved > 250, "n2 had " + moved + " users");
        // n2's users are shared by n1 and n3, not piled on one of them
        assertEquals(2, movedTo.size(), movedTo.toString());
        for (int c : movedTo.values()) {
            assertTrue(Math.abs(c - moved / 2.0) <= 0.25 * moved / 2.0, movedTo + " of " + moved);
        }
        // and they come back when it does
        assertEquals(before, route(THREE, 1000, n -> true));
    }

    @Test
    void aNewNodeTakesAboutItsShareFromEachAndNoUserMovesBetweenOldNodes() {
        Map<String, String> before = route(THREE, 1000, n -> true);
        List<Node> four = new java.util.ArrayList<>(THREE);
        four.add(Node.parse("n4 127.0.0.5:143"));
        Map<String, String> after = route(four, 1000, n -> true);
        int toNew = 0;
        for (String user : before.keySet()) {
            if (!after.get(user).equals(before.get(user))) {
                assertEquals("n4", after.get(user), "user " + user + " moved between two old nodes");
                toNew++;
            }
        }
        assertTrue(Math.abs(toNew - 250) <= 0.15 * 250, toNew + " users moved to the new node");
    }

    @Test
    void theNodeDependsOnTheNodesNameNotItsAddressOrOrder() {
        List<Node> moved = List.of(Node.parse("n3 10.0.0.9:1143"), Node.parse("n1 10.0.0.7:1143"),
                Node.parse("n2 10.0.0.8:1143"));
        assertEquals(route(THREE, 300, n -> true), route(moved, 300, n -> true));
    }

    @Test
    void userNamesAreComparedAsUserDatabasesFoldThem() {
        assertEquals(Rendezvous.choose("Alice", THREE, n -> true), Rendezvous.choose("alice", THREE, n -> true));
    }

    @Test
    void noNodeUpIsNull() {
        assertNull(Rendezvous.choose("alice", THREE, n -> false));
        assertNull(Rendezvous.choose("alice", List.of(), n -> true));
    }
}
