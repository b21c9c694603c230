package posthorn.auth.cram.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.SaslExchange.Step;
import posthorn.auth.support.hmac.HmacMd5State;
import posthorn.auth.support.testing.DsConfig;
import posthorn.auth.support.testing.LogCapture;

class CramTest {

    /** userdb fixture line for alice (auth.userdb's fixtures): `echo alice-cram | userdbpw -hmac-md5`. */
    static final String COURIER_ALICE_STATES = "449b1d7ebea85a5a0e691f6159abdee1f37ff03a5f3aeb73fbfaaee5a9218065";

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static byte[] jdkMac(String alg, String key, byte[] data) throws Exception {
        Mac mac = Mac.getInstance(alg);
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), alg));
        return mac.doFinal(data);
    }

    static Step run(CramMechanism m, TestChain chain, String challenge, String response) {
        m.challenges = () -> challenge;
        SaslExchange x = m.start(chain, "mail.example.org");
        assertEquals(challenge, new String(x.initialChallenge(), StandardCharsets.US_ASCII));
        return x.respond(response.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void rfc2195ExampleFromAClearPassword() {
        TestChain chain = new TestChain().plain("tim", "tanstaaftanstaaf");
        Step s = run(new CramMd5(), chain, "<1896.697170952@postoffice.reston.mci.net>",
                "tim b913a602c7eda7a495b4e6e7334d3890");
        assertEquals("tim", assertInstanceOf(Step.Done.class, s).user());
    }

    @Test
    void rfc2195ExampleFromHmacMd5States() {
        String states = hex(HmacMd5State.of("tanstaaftanstaaf".getBytes(StandardCharsets.US_ASCII)));
        TestChain chain = new TestChain().states("tim", states);
        Step s = run(new CramMd5(), chain, "<1896.697170952@postoffice.reston.mci.net>",
                "tim b913a602c7eda7a495b4e6e7334d3890");
        assertInstanceOf(Step.Done.class, s);
        // upper-case hex is the same digest
        s = run(new CramMd5(), chain, "<1896.697170952@postoffice.reston.mci.net>",
                "tim B913A602C7EDA7A495B4E6E7334D3890");
        assertInstanceOf(Step.Done.class, s);
    }

    @Test
    void courierUserdbpwStatesLogIn() throws Exception {
        TestChain chain = new TestChain().states("alice", COURIER_ALICE_STATES);
        String challenge = CramMechanism.challenge("mail.example.org");
        String digest = hex(jdkMac("HmacMD5", "alice-cram", challenge.getBytes(StandardCharsets.US_ASCII)));
        assertInstanceOf(Step.Done.class, run(new CramMd5(), chain, challenge, "alice " + digest));
        String wrong = hex(jdkMac("HmacMD5", "alice-crap", challenge.getBytes(StandardCharsets.US_ASCII)));
        Step.Failed f = assertInstanceOf(Step.Failed.class, run(new CramMd5(), chain, challenge, "alice " + wrong));
        assertFalse(f.malformed());
    }

    @Test
    void challengeHasRfc2195Form() {
        String c = CramMechanism.challenge("mail.example.org");
        assertTrue(c.matches("<\\d+\\.\\d+@mail\\.example\\.org>"), c);
        CramMd5 m = new CramMd5();
        String a = new String(m.start(new TestChain(), "h").initialChallenge(), StandardCharsets.US_ASCII);
        String b = new String(m.start(new TestChain(), "h").initialChallenge(), StandardCharsets.US_ASCII);
        assertFalse(a.equals(b), "challenges repeat");
    }

    @Test
    void shaVariantsFromClearPasswords() throws Exception {
        TestChain chain = new TestChain().plain("bob", "bob-pw");
        String c = "<123.456@h>";
        byte[] cb = c.getBytes(StandardCharsets.US_ASCII);
        assertInstanceOf(Step.Done.class, run(new CramSha1(), chain, c, "bob " + hex(jdkMac("HmacSHA1", "bob-pw", cb))));
        assertInstanceOf(Step.Done.class, run(new CramSha256(), chain, c, "bob " + hex(jdkMac("HmacSHA256", "bob-pw", cb))));
        // a digest of the wrong length is malformed
        Step.Failed f = assertInstanceOf(Step.Failed.class,
                run(new CramSha256(), chain, c, "bob " + hex(jdkMac("HmacSHA1", "bob-pw", cb))));
        assertTrue(f.malformed());
    }

    @Test
    void unknownUserAndMalformedResponsesFail() throws Exception {
        TestChain chain = new TestChain().plain("bob", "bob-pw");
        String c = "<1.2@h>";
        String d = hex(jdkMac("HmacMD5", "bob-pw", c.getBytes(StandardCharsets.US_ASCII)));
        assertFalse(assertInstanceOf(Step.Failed.class, run(new CramMd5(), chain, c, "eve " + d)).malformed());
        for (String bad : new String[] {"", "bob", d, "bob " + d.substring(2) + "zz", " " + d}) {
            assertTrue(assertInstanceOf(Step.Failed.class, run(new CramMd5(), chain, c, bad)).malformed(), bad);
        }
    }

    @Test
    void offeredOnlyWhenABackendHasAUsableSecret() {
        TestChain none = new TestChain();
        TestChain states = new TestChain().states("a", COURIER_ALICE_STATES);
        TestChain plain = new TestChain().plain("b", "x");
        assertFalse(new CramMd5().available(none));
        assertTrue(new CramMd5().available(states));
        assertTrue(new CramMd5().available(plain));
        assertFalse(new CramSha1().available(states), "HMAC-MD5 states are no use to CRAM-SHA1");
        assertTrue(new CramSha256().available(plain));
        assertFalse(new ScramSha256().available(states));
        assertTrue(new ScramSha256().available(plain));
    }

    @Test
    void configurationTurnsMechanismsOff() {
        CramMd5 m = new CramMd5();
        m.activate(config(new String[] {"CRAM-SHA256, scram-sha-256"}, 4096));
        assertFalse(m.available(new TestChain().plain("b", "x")));
        CramSha256 s = new CramSha256();
        s.activate(config(new String[] {"CRAM-SHA256, scram-sha-256"}, 4096));
        assertTrue(s.available(new TestChain().plain("b", "x")));
    }

    /**
     * Issue 10: an edit of auth.cram.cfg the mechanisms cannot use is one log line (not one per
     * mechanism, though all four read the file), and every mechanism keeps its settings.
     */
    @Test
    void aRefusedEditIsOneLineAndThePreviousSettingsKeepServing() {
        CramMd5 md5 = new CramMd5();
        CramSha1 sha1 = new CramSha1();
        CramSha256 sha256 = new CramSha256();
        ScramSha256 scram = new ScramSha256();
        CramConfig good = DsConfig.of(CramConfig.class, "mechanisms", "CRAM-MD5, SCRAM-SHA-256");
        md5.activate(good);
        sha1.activate(good);
        sha256.activate(good);
        scram.activate(good);
        TestChain chain = new TestChain().plain("b", "x");
        for (String bad : List.of("mechanisms=CRAM-MD5, CRAM-MD4", "scram.iterations=100", "scram.iterations=lots")) {
            String[] kv = bad.split("=", 2);
            CramConfig refused = DsConfig.of(CramConfig.class, kv[0], kv[1]);
            List<String> lines;
            try (LogCapture log = new LogCapture()) {
                md5.activate(refused);
                sha1.activate(refused);
                sha256.activate(refused);
                scram.activate(refused);
                lines = log.text().lines().toList();
            }
            assertEquals(1, lines.size(), bad + ": " + lines);
            assertTrue(lines.get(0).contains("auth.cram.cfg refused: " + kv[0] + ": "), lines.get(0));
            assertTrue(lines.get(0).endsWith("; the previous settings stay in force"), lines.get(0));
            assertTrue(md5.available(chain) && scram.available(chain), bad);
            assertFalse(sha1.available(chain) || sha256.available(chain), bad);
        }
        assertEquals(4096, scram.iterations());
        md5.activate(good); // fixed: a later mistake is reported again
        try (LogCapture log = new LogCapture()) {
            md5.activate(DsConfig.of(CramConfig.class, "scram.iterations", "1"));
            assertEquals(1, log.text().lines().count(), log.text());
        }
    }

    static CramConfig config(String[] mechanisms, int iterations) {
        return new CramConfig() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return CramConfig.class;
            }

            @Override
            public String[] mechanisms() {
                return mechanisms;
            }

            @Override
            public int scram_iterations() {
                return iterations;
            }
        };
    }
}
