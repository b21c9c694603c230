package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Map;

import org.junit.jupiter.api.Test;

import posthorn.imap.server.internal.Configurations;

/** trusted.networks: which client addresses may send a password in the clear. */
class TrustedNetworksTest {

    private static boolean trusted(String networks, String address) throws Exception {
        return TrustedNetworks.parse(networks).contains(InetAddress.getByName(address));
    }

    @Test
    void theDefaultIsTheTwoLoopbackAddressesAndNotAllOf127() throws Exception {
        assertTrue(trusted(TrustedNetworks.DEFAULT, "127.0.0.1"));
        assertTrue(trusted(TrustedNetworks.DEFAULT, "::1"));
        assertFalse(trusted(TrustedNetworks.DEFAULT, "127.0.0.2"), "any process may bind 127.0.0.2 as its source");
        assertFalse(trusted(TrustedNetworks.DEFAULT, "192.0.2.7"));
        assertFalse(trusted(TrustedNetworks.DEFAULT, "::2"));
    }

    @Test
    void blocksMatchByTheirPrefixLength() throws Exception {
        String networks = "10.0.0.0/8, 192.168.1.128/25 2001:db8::/32,172.16.0.5";
        assertTrue(trusted(networks, "10.200.3.4"));
        assertFalse(trusted(networks, "11.0.0.1"));
        assertTrue(trusted(networks, "192.168.1.200"));
        assertFalse(trusted(networks, "192.168.1.127"), "outside the /25");
        assertTrue(trusted(networks, "2001:db8:1::5"));
        assertFalse(trusted(networks, "2001:db9::5"));
        assertTrue(trusted(networks, "172.16.0.5"), "a bare address is a block of one");
        assertFalse(trusted(networks, "172.16.0.6"));
        assertTrue(trusted("0.0.0.0/0", "203.0.113.9"));
        assertFalse(trusted("0.0.0.0/0", "::1"), "IPv4 blocks never match IPv6 addresses");
        assertTrue(trusted("::ffff:127.0.0.1", "127.0.0.1"), "a mapped address is the IPv4 address");
    }

    @Test
    void anEmptyListTrustsNoOne() throws Exception {
        assertFalse(trusted("", "127.0.0.1"));
        assertFalse(trusted(" , ", "::1"));
    }

    @Test
    void namesAndMalformedBlocksAreRefusedWithoutAskingDns() {
        for (String bad : new String[] {"localhost", "example.org/24", "10.0.0.0/33", "::1/129", "256.1.1.1",
                "10.0.0.0/", "10.0.0.0/x", "1.2.3", "10.0.0.0/8/8", "fe80::1%eth0"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrustedNetworks.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad.split("[, ]")[0]), e.getMessage());
        }
    }

    @Test
    void theConfigsListIsReadOnceForAsLongAsItStaysTheSame() {
        ImapdConfig a = Configurations.of(ImapdConfig.class, Map.of("trusted.networks", "10.0.0.0/8"));
        ImapdConfig b = Configurations.of(ImapdConfig.class, Map.of("trusted.networks", "10.0.0.0/8"));
        TrustedNetworks first = TrustedNetworks.of(a);
        assertTrue(first == TrustedNetworks.of(b));
        assertEquals("10.0.0.0/8", first.toString());
        assertEquals(TrustedNetworks.DEFAULT, TrustedNetworks.of(Configurations.of(ImapdConfig.class, Map.of())).toString());
    }
}
