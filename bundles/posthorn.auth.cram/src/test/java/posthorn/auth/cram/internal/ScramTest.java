package posthorn.auth.cram.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

import posthorn.auth.api.SaslExchange;
import posthorn.auth.api.SaslExchange.Step;

class ScramTest {

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(Step step) {
        return new String(assertInstanceOf(Step.Challenge.class, step).data(), StandardCharsets.UTF_8);
    }

    /** RFC 7677 section 3, the whole exchange byte for byte. */
    @Test
    void rfc7677Example() {
        ScramSha256 m = new ScramSha256();
        m.fixedServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        m.fixedSalt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
        SaslExchange x = m.start(new TestChain().plain("user", "pencil"), "h");
        assertEquals(0, x.initialChallenge().length);
        assertEquals("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                s(x.respond(b("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))));
        assertEquals("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
                s(x.respond(b("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))));
        assertEquals("user", assertInstanceOf(Step.Done.class, x.respond(new byte[0])).user());
    }

    /** A client computed here from the RFC's formulas, against the server's random nonce and salt. */
    @Test
    void clientWithRandomNonceAndSalt() {
        TestChain chain = new TestChain().plain("al,ice=", "wonder land");
        assertInstanceOf(Step.Done.class, login(new ScramSha256(), chain, "al=2Cice=3D", "wonder land"));
        Step.Failed f = assertInstanceOf(Step.Failed.class, login(new ScramSha256(), chain, "al=2Cice=3D", "wonder lane"));
        assertFalse(f.malformed());
        assertInstanceOf(Step.Failed.class, login(new ScramSha256(), chain, "nobody", "wonder land"));
    }

    @Test
    void saltIsStablePerUserAndGivenToUnknownUsersToo() {
        ScramSha256 m = new ScramSha256();
        TestChain chain = new TestChain().plain("a", "x");
        String s1 = s(m.start(chain, "h").respond(b("n,,n=a,r=abc")));
        String s2 = s(m.start(chain, "h").respond(b("n,,n=a,r=abc")));
        String s3 = s(m.start(chain, "h").respond(b("n,,n=ghost,r=abc")));
        assertEquals(s1.replaceAll("^r=[^,]*", ""), s2.replaceAll("^r=[^,]*", ""));
        assertFalse(s1.equals(s2), "server nonces repeat");
        assertTrue(s3.contains(",s=") && !s3.replaceAll("^r=[^,]*", "").equals(s1.replaceAll("^r=[^,]*", "")));
    }

    @Test
    void malformedAndRefusedMessages() {
        TestChain chain = new TestChain().plain("a", "x");
        for (String bad : new String[] {"", "n,", "x,,n=a,r=abc", "n,,r=abc", "n,,n=a", "n,,n=a=b,r=x", "n,b,n=a,r=x"}) {
            Step st = new ScramSha256().start(chain, "h").respond(b(bad));
            assertTrue(assertInstanceOf(Step.Failed.class, st).malformed(), bad);
        }
        assertFalse(assertInstanceOf(Step.Failed.class,
                new ScramSha256().start(chain, "h").respond(b("p=tls-unique,,n=a,r=x"))).malformed());
        assertFalse(assertInstanceOf(Step.Failed.class,
                new ScramSha256().start(chain, "h").respond(b("n,a=b,n=a,r=x"))).malformed(), "authzid of another user");
        // the right proof with a nonce the server did not send
        ScramSha256 m = new ScramSha256();
        SaslExchange x = m.start(chain, "h");
        String first = s(x.respond(b("n,,n=a,r=abc")));
        String nonce = first.substring(2, first.indexOf(','));
        Step st = x.respond(b("c=biws,r=" + nonce + "X,p=" + Base64.getEncoder().encodeToString(new byte[32])));
        assertFalse(assertInstanceOf(Step.Failed.class, st).malformed());
    }

    @Test
    void hiIsPbkdf2() throws Exception {
        var f = javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
        byte[] want = f.generateSecret(new javax.crypto.spec.PBEKeySpec("pencil".toCharArray(), b("salt"), 4096, 256))
                .getEncoded();
        assertArrayEquals(want, ScramSha256.hi(b("pencil"), b("salt"), 4096));
    }

    /** Plays the client side of RFC 5802 section 3. */
    static Step login(ScramSha256 m, TestChain chain, String saslUser, String password) {
        SaslExchange x = m.start(chain, "h");
        String clientFirstBare = "n=" + saslUser + ",r=fyko+d2lbbFgONRv9qkxdawL";
        String serverFirst = s(x.respond(b("n,," + clientFirstBare)));
        String[] p = serverFirst.split(",");
        String nonce = p[0].substring(2);
        byte[] salt = Base64.getDecoder().decode(p[1].substring(2));
        int i = Integer.parseInt(p[2].substring(2));
        String withoutProof = "c=biws,r=" + nonce;
        byte[] salted = ScramSha256.hi(b(password), salt, i);
        byte[] clientKey = ScramSha256.hmac(salted, b("Client Key"));
        byte[] stored = ScramSha256.sha256(clientKey);
        byte[] auth = b(clientFirstBare + "," + serverFirst + "," + withoutProof);
        byte[] sig = ScramSha256.hmac(stored, auth);
        byte[] proof = new byte[32];
        for (int k = 0; k < 32; k++) {
            proof[k] = (byte) (clientKey[k] ^ sig[k]);
        }
        Step st = x.respond(b(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)));
        if (!(st instanceof Step.Challenge c)) {
            return st;
        }
        byte[] serverSig = ScramSha256.hmac(ScramSha256.hmac(salted, b("Server Key")), auth);
        assertEquals("v=" + Base64.getEncoder().encodeToString(serverSig), new String(c.data(), StandardCharsets.UTF_8));
        return x.respond(new byte[0]);
    }
}
