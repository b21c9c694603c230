package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;
import posthorn.store.api.MailStore;
import posthorn.store.api.Quota;
import posthorn.store.api.QuotaStore;
import posthorn.store.api.StoreUser;
import posthorn.store.api.UserMail;

/** The QUOTA pieces that need no session: capabilities, units, the SETQUOTA grammar (RFC 9208 7). */
class QuotaCommandsTest {
    record Plain() implements MailStore {
        @Override
        public UserMail open(StoreUser user) {
            throw new UnsupportedOperationException();
        }
    }

    record WithQuota(Set<String> quotaResources) implements QuotaStore {
        @Override
        public UserMail open(StoreUser user) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void announcedOnlyWithAStoreThatKeepsQuotas() {
        assertEquals(List.of(), QuotaCommands.capabilities(new Plain(), true));
        assertEquals(List.of(), QuotaCommands.capabilities(null, true));
        assertEquals(List.of("QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE"),
                QuotaCommands.capabilities(new WithQuota(Set.of("MESSAGE", "STORAGE")), false));
        assertEquals(List.of("QUOTA", "QUOTA=RES-MESSAGE", "QUOTASET"),
                QuotaCommands.capabilities(new WithQuota(Set.of("MESSAGE")), true));
    }

    @Test
    void storageIsShownInKibibytesRoundedUpAsCourierAndDovecot() throws Exception {
        assertEquals(0, QuotaCommands.kibibytes(0));
        assertEquals(1, QuotaCommands.kibibytes(30));
        assertEquals(1, QuotaCommands.kibibytes(1024));
        assertEquals(2, QuotaCommands.kibibytes(1025));
        assertEquals(10, QuotaCommands.kibibytes(10000));
        assertEquals("* QUOTA ROOT (STORAGE 1 10 MESSAGE 1 5)\r\n", quota(new Quota("ROOT", 30, 10000, 1, 5)));
        assertEquals("* QUOTA ROOT (MESSAGE 3 5)\r\n", quota(new Quota("ROOT", 30, -1, 3, 5)));
        assertEquals("* QUOTA \"\" (STORAGE 0 1)\r\n", quota(new Quota("", 0, 1, 0, -1)));
    }

    static String quota(Quota q) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ResponseWriter out = new ResponseWriter(b);
        QuotaCommands.writeQuota(out, q);
        out.flush();
        return b.toString(StandardCharsets.US_ASCII);
    }

    static Map<String, Long> list(String text) throws ProtocolException {
        ArgReader args = new ArgReader(text.getBytes(StandardCharsets.US_ASCII));
        Map<String, Long> m = QuotaCommands.SetQuota.setquotaList(args);
        args.end();
        return m;
    }

    @Test
    void setquotaListGrammar() throws Exception {
        assertEquals(Map.of(), list("()"));
        assertEquals(Map.of("STORAGE", 512L), list("(STORAGE 512)"));
        assertEquals(Map.of("STORAGE", 512L, "MESSAGE", 9223372036854775807L), list("(storage 512 Message 9223372036854775807)"));
        assertEquals(Map.of("MAILBOX", 3L), list("(MAILBOX 3)"), "any resource name parses; unsupported ones are NO later");
        for (String bad : List.of("STORAGE 5", "(STORAGE)", "(STORAGE x)", "(STORAGE -1)", "(STORAGE 5", "(STORAGE 5 )",
                "(STORAGE 9223372036854775808)", "(STORAGE 99999999999999999999)", "(STORAGE 1 STORAGE 2)",
                "( STORAGE 1)", "(STORAGE  1)", "(STORAGE 1)x", "")) {
            assertThrows(ProtocolException.class, () -> list(bad), bad);
        }
    }
}
