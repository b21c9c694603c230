package posthorn.imap.server.internal.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsFilesTest {
    @TempDir
    Path dir;

    @Test
    void selfSignedPairIsMadeAndLoads() throws Exception {
        Path cert = dir.resolve("tls/cert.pem");
        Path key = dir.resolve("tls/key.pem");
        TlsFiles.generateSelfSigned(cert, key, "mail.example.org");
        String pem = Files.readString(cert);
        List<X509Certificate> chain = TlsFiles.certificates(pem);
        assertEquals(1, chain.size());
        assertTrue(chain.get(0).getSubjectX500Principal().getName().contains("CN=mail.example.org"));
        assertTrue(chain.get(0).getSubjectAlternativeNames().toString().contains("127.0.0.1"));
        assertEquals(Set600(), Files.getPosixFilePermissions(key));
        assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----"));
        SSLContext ctx = TlsFiles.context(cert, key);
        assertEquals("TLS", ctx.getProtocol());
        assertTrue(TlsFiles.matches(TlsFiles.privateKey(Files.readString(key)), chain.get(0).getPublicKey()));
        chain.get(0).verify(chain.get(0).getPublicKey());
        chain.get(0).checkValidity();
        assertTrue(chain.get(0).getNotAfter().toInstant().isAfter(java.time.Instant.now().plus(3000, java.time.temporal.ChronoUnit.DAYS)));
        if (Files.isExecutable(Path.of("/usr/bin/openssl"))) {
            Process p = new ProcessBuilder("openssl", "x509", "-in", cert.toString(), "-noout", "-text")
                    .redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), text);
            assertTrue(text.contains("DNS:localhost, DNS:mail.example.org, IP Address:127.0.0.1"), text);
            assertTrue(text.contains("ecdsa-with-SHA256"), text);
        }
    }

    private static java.util.Set<PosixFilePermission> Set600() {
        return java.util.Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void pkcs1RsaKeyReadsAsThePkcs8One() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        byte[] pkcs8 = kp.getPrivate().getEncoded();
        // PKCS#8 wraps PKCS#1 in its last element, an OCTET STRING; cut it out.
        byte[] pkcs1 = lastOctetString(pkcs8);
        PrivateKey fromPkcs1 = TlsFiles.privateKey(TlsFiles.pem("RSA PRIVATE KEY", pkcs1));
        assertArrayEquals(pkcs8, fromPkcs1.getEncoded());
        PrivateKey fromPkcs8 = TlsFiles.privateKey(TlsFiles.pem("PRIVATE KEY", pkcs8));
        assertArrayEquals(pkcs8, fromPkcs8.getEncoded());
        assertTrue(TlsFiles.matches(fromPkcs1, kp.getPublic()));
        assertFalse(TlsFiles.matches(fromPkcs1, KeyPairGenerator.getInstance("RSA").generateKeyPair().getPublic()));
    }

    @Test
    void opensslKeysOfEveryFormLoad() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
        Path ec = dir.resolve("ec.pem");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec.toString()); // SEC1
        assertTrue(Files.readString(ec).contains("BEGIN EC PRIVATE KEY"));
        Path ec8 = dir.resolve("ec8.pem");
        openssl("pkcs8", "-topk8", "-nocrypt", "-in", ec.toString(), "-out", ec8.toString());
        // the encodings differ (SEC1 inside PKCS#8 may carry the curve and public key); the key does not
        ECPrivateKey a = (ECPrivateKey) TlsFiles.privateKey(Files.readString(ec8));
        ECPrivateKey b = (ECPrivateKey) TlsFiles.privateKey(Files.readString(ec));
        assertEquals(a.getS(), b.getS());
        assertEquals(a.getParams().getCurve(), b.getParams().getCurve());
        assertEquals("EC", TlsFiles.privateKey(Files.readString(ec)).getAlgorithm());

        Path rsa = dir.resolve("rsa.pem");
        Path cert = dir.resolve("rsa-cert.pem");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", rsa.toString(), "-out", cert.toString(),
                "-days", "2", "-subj", "/CN=test");
        Path rsa1 = dir.resolve("rsa1.pem");
        openssl("rsa", "-in", rsa.toString(), "-out", rsa1.toString(), "-traditional");
        assertTrue(Files.readString(rsa1).contains("BEGIN RSA PRIVATE KEY"));
        TlsFiles.context(cert, rsa);
        TlsFiles.context(cert, rsa1);

        Path enc = dir.resolve("enc.pem");
        openssl("pkcs8", "-topk8", "-in", rsa.toString(), "-out", enc.toString(), "-passout", "pass:secret");
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class, () -> TlsFiles.context(cert, enc));
        assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
        GeneralSecurityException mismatch = assertThrows(GeneralSecurityException.class, () -> TlsFiles.context(cert, ec));
        assertTrue(mismatch.getMessage().contains("does not belong"), mismatch.getMessage());
    }

    @Test
    void lessCommonFormsLoad() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
        // openssl ecparam without -noout writes EC PARAMETERS before the SEC1 key
        Path ecp = dir.resolve("ecp.pem");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", ecp.toString());
        assertTrue(Files.readString(ecp).contains("BEGIN EC PARAMETERS"));
        assertEquals("EC", TlsFiles.privateKey(Files.readString(ecp)).getAlgorithm());
        // Ed25519 in PKCS#8, with a certificate of its own
        Path ed = dir.resolve("ed.pem");
        Path edCert = dir.resolve("ed-cert.pem");
        openssl("req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", ed.toString(), "-out", edCert.toString(),
                "-days", "2", "-subj", "/CN=ed");
        assertEquals("EdDSA", TlsFiles.privateKey(Files.readString(ed)).getAlgorithm());
        TlsFiles.context(edCert, ed);
        // a certificate and its issuer after it (certbot's fullchain.pem), and the key in the same file
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
                "-days", "2", "-subj", "/CN=ca");
        openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "req.pem", "-subj", "/CN=leaf");
        openssl("x509", "-req", "-in", "req.pem", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", "leaf.pem", "-days", "2");
        Path both = dir.resolve("both.pem");
        Files.writeString(both, Files.readString(dir.resolve("key.pem")) + Files.readString(dir.resolve("leaf.pem"))
                + Files.readString(dir.resolve("ca.pem")));
        List<X509Certificate> chain = TlsFiles.certificates(Files.readString(both));
        assertEquals(2, chain.size());
        assertTrue(chain.get(0).getSubjectX500Principal().getName().contains("CN=leaf"));
        TlsFiles.context(both, both);
        // an RSA key encrypted the old way (Proc-Type header in the PKCS#1 block)
        Path legacy = dir.resolve("legacy.pem");
        openssl("rsa", "-in", "key.pem", "-out", legacy.toString(), "-traditional", "-aes128", "-passout", "pass:secret");
        assertTrue(Files.readString(legacy).contains("Proc-Type: 4,ENCRYPTED"));
        Path leaf = dir.resolve("leaf.pem");
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class, () -> TlsFiles.context(leaf, legacy));
        assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
    }

    @Test
    void brokenCertificateIsRefused() {
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                () -> TlsFiles.certificates("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
        assertTrue(e.getMessage().contains("certificate"), e.getMessage());
    }

    @Test
    void garbageIsRefusedWithAReason() {
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                () -> TlsFiles.privateKey("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
        assertTrue(e.getMessage().contains("no private key"), e.getMessage());
        assertThrows(GeneralSecurityException.class,
                () -> TlsFiles.privateKey("-----BEGIN EC PRIVATE KEY-----\nMAMCAQE=\n-----END EC PRIVATE KEY-----\n"));
    }

    private void openssl(String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }

    /** The content of the last top-level OCTET STRING in a DER SEQUENCE. */
    private static byte[] lastOctetString(byte[] der) {
        int[] pos = {1};
        readLength(der, pos);
        byte[] last = null;
        while (pos[0] < der.length) {
            int tag = der[pos[0]++] & 0xff;
            int len = readLength(der, pos);
            if (tag == 0x04) {
                last = java.util.Arrays.copyOfRange(der, pos[0], pos[0] + len);
            }
            pos[0] += len;
        }
        return last;
    }

    private static int readLength(byte[] der, int[] pos) {
        int b = der[pos[0]++] & 0xff;
        if (b < 0x80) {
            return b;
        }
        int len = 0;
        for (int i = 0; i < (b & 0x7f); i++) {
            len = (len << 8) | (der[pos[0]++] & 0xff);
        }
        return len;
    }
}
