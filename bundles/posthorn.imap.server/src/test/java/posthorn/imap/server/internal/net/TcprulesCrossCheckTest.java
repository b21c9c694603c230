package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same rules through Debian's ucspi-tcp and through Posthorn: tcprules compiles the text to a
 * cdb, tcprulescheck says which rule tcpserver would apply to an address (and host name), and
 * Posthorn must choose the same rule, with the same verdict and settings, both from the text file and
 * from the cdb tcprules wrote. IPv4 through ucspi-tcp (tools/test-deps installs it); IPv6 through
 * ucspi-tcp-ipv6, unpacked beside it (tools/ucspi-ipv6-unpack), since the two packages conflict.
 * Fails, never skips, without them: ./posthorn test installs both.
 */
class TcprulesCrossCheckTest {

    private static final String V4_RULES = String.join("\n",
            "# as the Courier site had them, and every kind of rule tcprules knows",
            "127.:allow,max.per.ip=\"50\"",
            "127.0.0.2:deny",
            "192.168.1.:allow,allow.plaintext=\"true\",RELAYCLIENT=\"\"",
            "192.168.1.13:deny",
            "192.168.1.20-29:deny,X=\"y\"",
            "192.168.:deny",
            "10.:allow,max.connections=\"4\"",
            "10.1.:deny",
            "10.1.2.:allow",
            "10.1.2.3:allow,max.per.ip=\"1\"",
            "172.16-18.:allow",
            "=mail.example.com:allow,max.per.ip=\"9\"",
            "=.example.com:deny",
            "=.example.org:allow",
            "8.8.:allow",
            "=:deny",
            "203.0.113.5:allow,A=|with,comma|,B='q'",
            "127.:deny",
            ":deny",
            "");

    private static final String V6_RULES = String.join("\n",
            "::1:allow",
            "2001:db8::5:deny",
            "2001:db8:1::allow,max.per.ip=\"2\"",
            "2001:db8::deny,X=\"a:b\"",
            "2001:db8:1:2::allow",
            "fe80::deny",
            "127.0.0.:allow",
            "=v6.example.net:deny",
            ":allow,max.per.ip=\"3\"",
            "");

    @TempDir
    Path dir;

    @Test
    void posthornChoosesAsTcprulescheckOnIpv4() throws Exception {
        Path tcprules = Path.of("/usr/bin/tcprules");
        Path check = Path.of("/usr/bin/tcprulescheck");
        assertTrue(Files.isExecutable(tcprules) && Files.isExecutable(check),
                "ucspi-tcp is not installed: tools/test-deps installs it (apt-get install ucspi-tcp)");
        List<String[]> cases = new ArrayList<>();
        Random random = new Random(13);
        String[] hosts = {null, "mail.example.com", "a.b.example.com", "x.example.org", "other.net", "example.com"};
        Set<String> addresses = new LinkedHashSet<>(List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.1.2.3",
                "192.168.1.1", "192.168.1.13", "192.168.1.19", "192.168.1.20", "192.168.1.29", "192.168.1.30",
                "192.168.2.1", "192.169.0.1", "10.0.0.1", "10.1.0.1", "10.1.2.1", "10.1.2.3", "10.1.2.30", "10.10.2.3",
                "172.15.0.1", "172.16.0.1", "172.18.255.255", "172.19.0.1", "203.0.113.5", "203.0.113.50",
                "8.8.8.8", "0.0.0.0", "255.255.255.255", "1.2.3.4"));
        while (addresses.size() < 60) {
            int[] firsts = {127, 192, 10, 172, 203, random.nextInt(256)};
            addresses.add(firsts[random.nextInt(firsts.length)] + "." + pick(random, 0, 1, 2, 16, 168) + "."
                    + pick(random, 0, 1, 2, 113) + "." + pick(random, 1, 2, 3, 5, 13, 20, 25, 29, 200));
        }
        for (String a : addresses) {
            cases.add(new String[] {a, hosts[random.nextInt(hosts.length)]});
            cases.add(new String[] {a, null});
        }
        for (String h : hosts) {
            cases.add(new String[] {"1.2.3.4", h});
            cases.add(new String[] {"192.168.2.2", h});
        }
        crossCheck(V4_RULES, tcprules, check, cases);
    }

    @Test
    void posthornChoosesAsTcprulescheckOnIpv6() throws Exception {
        Path root = top().resolve("var/cache/ucspi-tcp-ipv6/root/usr/bin");
        if (!Files.isExecutable(root.resolve("tcprulescheck"))) {
            Process p = new ProcessBuilder(top().resolve("tools/ucspi-ipv6-unpack").toString()).inheritIO().start();
            p.waitFor(120, TimeUnit.SECONDS);
        }
        assertTrue(Files.isExecutable(root.resolve("tcprulescheck")),
                "ucspi-tcp-ipv6 could not be unpacked (tools/ucspi-ipv6-unpack; tools/test-deps runs it)");
        List<String[]> cases = new ArrayList<>();
        for (String a : new String[] {"::1", "::2", "2001:db8::5", "2001:db8::6", "2001:db8::", "2001:db8:1::9",
                "2001:db8:1:2::9", "2001:db8:1:3::1", "2001:db8:2::1", "2001:db9::1", "fe80::1", "fe80::",
                "fe80:1::1", "127.0.0.1", "127.0.0.200", "127.0.1.1", "2001:db8:0:1::1", "2001:0:0:1::1"}) {
            cases.add(new String[] {a, null});
            cases.add(new String[] {a, "v6.example.net"});
        }
        crossCheck(V6_RULES, root.resolve("tcprules"), root.resolve("tcprulescheck"), cases);
    }

    private static int pick(Random r, int... values) {
        return values[r.nextInt(values.length)];
    }

    private void crossCheck(String text, Path tcprules, Path check, List<String[]> cases) throws Exception {
        Path txt = dir.resolve("rules");
        Files.writeString(txt, text);
        Path cdb = dir.resolve("rules.cdb");
        Process compile = new ProcessBuilder(tcprules.toString(), cdb.toString(), dir.resolve("rules.tmp").toString())
                .redirectInput(txt.toFile()).redirectErrorStream(true).start();
        String out = new String(compile.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(compile.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, compile.exitValue(), "tcprules: " + out);
        AccessRules fromText = AccessRules.parseText(txt.toString(), text);
        AccessRules fromCdb = AccessRules.parseCdb(cdb.toString(), Files.readAllBytes(cdb));
        int compared = 0;
        for (String[] c : cases) {
            InetAddress address = InetAddress.getByName(c[0]);
            String ip = AccessRules.text(address);
            String theirs = tcprulescheck(check, cdb, ip, c[1]);
            String what = ip + (c[1] == null ? "" : " =" + c[1]);
            AccessRules.Choice t = fromText.choose(address, c[1]);
            AccessRules.Choice d = fromCdb.choose(address, c[1]);
            assertEquals(theirs, asTcprulescheck(t), "from the text, " + what);
            assertEquals(theirs, asTcprulescheck(d), "from the cdb, " + what);
            if (t.rule() != null) {
                assertEquals(t.rule().settings(), d.rule().settings(), what);
                assertEquals(t.rule().maxPerIp(), d.rule().maxPerIp(), what);
                assertEquals(t.rule().maxConnections(), d.rule().maxConnections(), what);
                assertEquals(t.rule().plaintext(), d.rule().plaintext(), what);
            }
            compared++;
        }
        assertEquals(cases.size(), compared);
    }

    /** What tcprulescheck prints for the rule tcpserver would apply to this client. */
    private static String tcprulescheck(Path check, Path cdb, String ip, String host) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(check.toString(), cdb.toString()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.remove("TCPREMOTEINFO");
        env.remove("TCPREMOTEHOST");
        env.put("TCPREMOTEIP", ip);
        if (host != null) {
            env.put("TCPREMOTEHOST", host);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return out;
    }

    /** Posthorn's choice as tcprulescheck prints one (which shows a denying rule's settings not). */
    private static String asTcprulescheck(AccessRules.Choice c) {
        if (c.rule() == null) {
            return "default:\nallow connection\n";
        }
        StringBuilder b = new StringBuilder("rule ").append(c.rule().key()).append(":\n");
        if (!c.rule().allow()) {
            return b.append("deny connection\n").toString();
        }
        c.rule().settings().forEach((k, v) -> b.append("set environment variable ").append(k).append('=').append(v).append('\n'));
        return b.append("allow connection\n").toString();
    }

    private static Path top() {
        Path top = Path.of("").toAbsolutePath();
        while (top != null && !Files.isRegularFile(top.resolve("tools/ucspi-ipv6-unpack"))) {
            top = top.getParent();
        }
        assertTrue(top != null, "tools/ucspi-ipv6-unpack not found above " + Path.of("").toAbsolutePath());
        return top;
    }
}
