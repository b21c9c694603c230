package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Which rule applies to a client, and which files are refused: the rules as tcpserver applies them. */
class AccessRulesTest {

    private static final String RULES = String.join("\n",
            "# the seed's rules, and more",
            "1.2.3.4:deny",
            "1.2.3.:allow,max.per.ip=\"3\",X=/a b/",
            "1.2.:deny",
            "=host.example.com:deny",
            "=.example.com:allow,allow.plaintext=\"true\"",
            "=:allow,max.connections=\"7\"",
            "10.0.0.0/8:allow",
            "10.1.0.0/16:deny",
            "10.1.2.:allow",
            "10.1.2.3/32:deny",
            "127.:allow",
            "192.168.1.5-9:deny",
            "2001:db8::5:deny",
            "2001:db8::/32:allow",
            "2001:db8:1:2::/64:deny",
            "2001:db8:1::allow",
            "::1:allow",
            "1.2.3.4:allow",
            ":deny",
            "");

    private static String chosen(AccessRules rules, String address, String host) throws Exception {
        AccessRules.Choice c = rules.choose(InetAddress.getByName(address), host);
        return c.rule() == null ? null : c.rule().key();
    }

    @Test
    void theMostSpecificRuleWinsNotTheFirstLine() throws Exception {
        AccessRules r = AccessRules.parseText("rules", RULES);
        String[][] table = {
            // address, host, the rule's key
            {"1.2.3.4", null, "1.2.3.4"},                 // exact; the second 1.2.3.4 line is never used
            {"1.2.3.5", null, "1.2.3."},
            {"1.2.9.9", null, "1.2."},
            {"1.2.9.9", "host.example.com", "=host.example.com"}, // =host before the prefixes
            {"1.2.3.4", "host.example.com", "1.2.3.4"},   // the exact address before =host
            {"9.9.9.9", "a.b.example.com", "=.example.com"},
            {"9.9.9.9", "other.org", "="},
            {"9.9.9.9", null, ""},
            {"1.2.9.9", "a.example.com", "1.2."},         // the prefixes before =.domain
            {"10.9.9.9", null, "10.0.0.0/8"},
            {"10.1.9.9", null, "10.1.0.0/16"},            // /16 beats /8
            {"10.1.2.9", null, "10.1.2."},                // 10.1.2. is /24
            {"10.1.2.3", null, "10.1.2.3/32"},            // a /32 is the exact address
            {"127.0.0.2", null, "127."},
            {"192.168.1.4", null, ""},
            {"192.168.1.5", null, "192.168.1.5"},
            {"192.168.1.9", null, "192.168.1.9"},
            {"192.168.1.10", null, ""},
            {"2001:db8::5", null, "2001:db8::5"},
            {"2001:0db8:0:0::5", null, "2001:db8::5"},    // any spelling of the address
            {"2001:db8::6", null, "2001:db8::/32"},
            {"2001:db8:1:2::9", null, "2001:db8:1:2::/64"}, // /64 beats the text prefix 2001:db8:1: (/48)
            {"2001:db8:1:3::9", null, "2001:db8:1:"},
            {"2001:db9::1", null, ""},
            {"::1", null, "::1"},
            {"::ffff:127.0.0.9", null, "127."},           // a mapped address is the IPv4 address
        };
        for (String[] row : table) {
            assertEquals(row[2], chosen(r, row[0], row[1]), row[0] + " " + row[1]);
        }
    }

    @Test
    void settingsAreReadAndAnswered() throws Exception {
        AccessRules r = AccessRules.parseText("rules", RULES);
        AccessRule a = r.choose(InetAddress.getByName("1.2.3.9"), null).rule();
        assertEquals(3, a.maxPerIp());
        assertEquals(Map.of("max.per.ip", "3", "X", "a b"), a.settings());
        assertEquals("1.2.3.:allow,max.per.ip=\"3\",X=\"a b\"", a.toString());
        assertEquals(3, a.line());
        assertEquals(Boolean.TRUE, r.choose(InetAddress.getByName("9.9.9.9"), "x.example.com").rule().plaintext());
        assertEquals(7, r.choose(InetAddress.getByName("9.9.9.9"), "x.org").rule().maxConnections());
        assertEquals(Map.of("X", 3), r.unknownSettings());
        assertTrue(r.usesHostNames());
        assertFalse(AccessRules.parseText("r", "127.:allow\n:deny\n").usesHostNames());
    }

    @Test
    void noRuleMeansAllowedAsTcpserverAllows() throws Exception {
        AccessRules r = AccessRules.parseText("rules", "127.:deny\n");
        AccessRules.Choice c = r.choose(InetAddress.getByName("192.0.2.1"), null);
        assertNull(c.rule());
        assertTrue(c.allowed());
        assertFalse(r.choose(InetAddress.getByName("127.0.0.1"), null).allowed());
        assertTrue(AccessRules.NONE.choose(InetAddress.getByName("127.0.0.1"), null).allowed());
    }

    @Test
    void ipv6TextIsTheUsualShortForm() throws Exception {
        String[][] table = {
            {"2001:db8:0:0:0:0:0:5", "2001:db8::5"},
            {"0:0:0:0:0:0:0:1", "::1"},
            {"0:0:0:0:0:0:0:0", "::"},
            {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},   // the longest zero run
            {"2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"},     // the first of equal runs
            {"2001:db8:1:2:3:4:0:6", "2001:db8:1:2:3:4:0:6"}, // one zero group is not shortened
            {"FE80:0:0:0:0:0:0:ABCD", "fe80::abcd"},
        };
        for (String[] row : table) {
            assertEquals(row[1], AccessRules.text(InetAddress.getByName(row[0])), row[0]);
        }
        assertEquals(112, AccessRules.prefixBits("2001:db8::5", "2001:db8::", 16));
        assertEquals(32, AccessRules.prefixBits("2001:db8::5", "2001:db8:", 16));
        assertEquals(24, AccessRules.prefixBits("1.2.3.4", "1.2.3.", 4));
    }

    @Test
    void aBadLineRefusesTheFileNamingTheLineAndWhy() {
        String[][] table = {
            {"127.0.0.1 allow", "no colon"},
            {"127.:permit", "not ADDRESS:allow"},
            {"127.: allow", "not ADDRESS:allow"},
            {"127.:allow,X", "not ADDRESS:allow"},
            {"127.:allow,X=", "not ADDRESS:allow"},
            {"127.:allow,X=\"abc", "not ADDRESS:allow"},
            {"127.:allow,X=\"a\"junk", "not ADDRESS:allow"},
            {"127.:allow#comment", "not ADDRESS:allow"},
            {"  127.0.0.1:allow", "is not an address"},
            {"127.0.0.1 :allow", "is not an address"},
            {"localhost:allow", "is not an address"},
            {"1.2.3.256:allow", "256 is not 0 to 255"},
            {"1.2.3.4-2:allow", "empty range"},
            {"1.2.3.4-5-6:allow", "a range is"},
            {"10.0.0.0/33:allow", "prefix length"},
            {"example.org/8:allow", "not a CIDR block"},
            {"=bad host:deny", "no spaces"},
            {"127.:allow,max.per.ip=\"lots\"", "max.per.ip=\"lots\": not a whole number"},
            {"127.:allow,max.per.ip=\"0\"", "not a whole number from 1"},
            {"127.:allow,max.connections=\"99999999999\"", "max.connections"},
            {"127.:allow,allow.plaintext=\"yes\"", "neither true nor false"},
        };
        for (String[] row : table) {
            AccessRules.Refused e = assertThrows(AccessRules.Refused.class,
                    () -> AccessRules.parseText("/etc/rules", "# first\n127.:allow\n" + row[0] + "\n:deny\n"), row[0]);
            assertTrue(e.getMessage().startsWith("/etc/rules line 3: "), e.getMessage());
            assertTrue(e.getMessage().contains(row[1]), row[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void aFileOfTooManyRulesIsRefused() throws Exception {
        String line = "10.0-255.:allow\n"; // 256 rules a line
        AccessRules.parseText("big", line.repeat(4), 1024);
        AccessRules.Refused e = assertThrows(AccessRules.Refused.class, () -> AccessRules.parseText("big", line.repeat(5), 1024));
        assertEquals("big line 5: more than 1024 rules (ranges counted address by address)", e.getMessage());
        assertEquals(1_000_000, AccessRules.MAX_RULES);
    }

    @Test
    void commentsBlankLinesRangesAndCarriageReturnsAreRead() throws Exception {
        AccessRules r = AccessRules.parseText("r", "# c\n\n   \n  # indented comment\r\n10.1-3.:deny\r\n1.2.3.0255-0256:allow\n");
        List<String> keys = r.rules().stream().map(AccessRule::key).toList();
        assertEquals(List.of("10.1.", "10.2.", "10.3.", "1.2.3.255"), keys);
        assertEquals(5, r.rules().get(0).line());
    }

    @Test
    void aSettingValueMayHoldAnyCharacterButItsDelimiter() throws Exception {
        AccessRules r = AccessRules.parseText("r", "1.:allow,A=|x,\"y:deny|,B=\"\"\n");
        assertEquals(Map.of("A", "x,\"y:deny", "B", ""), r.rules().get(0).settings());
        assertTrue(r.rules().get(0).allow());
        AccessRules v6 = AccessRules.parseText("r", "2001:db8::deny,X=\"a:b\"\n");
        assertEquals("2001:db8:", v6.rules().get(0).key(), "the key ends where :allow or :deny begins, as tcprules (IPv6) reads it");
        assertFalse(v6.rules().get(0).allow());
    }
}
