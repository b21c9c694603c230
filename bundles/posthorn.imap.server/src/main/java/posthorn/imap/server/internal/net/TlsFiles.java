package posthorn.imap.server.internal.net;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The server's TLS identity from PEM files: a certificate chain and an unencrypted private key in
 * PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}) form, as openssl and certbot write them. Also makes a self-signed
 * pair for a first start (with the JDK's own crypto; no library needed for one certificate).
 */
public final class TlsFiles {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)-----END \\1-----");
    private static final byte[] OID_RSA = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    private static final byte[] OID_EC = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final byte[] OID_ECDSA_SHA256 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x04, 0x03, 0x02};
    private static final byte[] OID_CN = {0x06, 0x03, 0x55, 0x04, 0x03};
    private static final byte[] OID_SAN = {0x06, 0x03, 0x55, 0x1d, 0x11};

    private TlsFiles() {
    }

    /** An SSL context serving the given certificate chain and key, TLS 1.2 and 1.3. */
    public static SSLContext context(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
        List<X509Certificate> chain = certificates(Files.readString(certFile, StandardCharsets.US_ASCII));
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("no certificate in " + certFile);
        }
        PrivateKey key = privateKey(Files.readString(keyFile, StandardCharsets.US_ASCII));
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new GeneralSecurityException("the key in " + keyFile + " does not belong to the certificate in " + certFile);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pass = new char[0];
        ks.setKeyEntry("server", key, pass, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pass);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
        return ctx;
    }

    static List<X509Certificate> certificates(String pem) throws GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        Matcher m = PEM.matcher(pem);
        while (m.find()) {
            if (m.group(1).equals("CERTIFICATE")) {
                out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(decode(m.group(2)))));
            }
        }
        return out;
    }

    /** The first private key in a PEM text. */
    static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        Matcher m = PEM.matcher(pem);
        while (m.find()) {
            byte[] der = decode(m.group(2));
            switch (m.group(1)) {
                case "PRIVATE KEY" -> {
                    return pkcs8(der);
                }
                case "RSA PRIVATE KEY" -> {
                    // PKCS#8 = SEQUENCE { INTEGER 0, SEQUENCE { rsaEncryption, NULL }, OCTET STRING pkcs1 }
                    byte[] alg = seq(concat(OID_RSA, new byte[] {0x05, 0x00}));
                    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                            seq(concat(new byte[] {0x02, 0x01, 0x00}, alg, tlv(0x04, der)))));
                }
                case "EC PRIVATE KEY" -> {
                    // SEC1 = SEQUENCE { INTEGER 1, OCTET STRING key, [0] curve OID, [1] public key };
                    // PKCS#8 names the curve in the algorithm identifier instead.
                    byte[] curve = sec1Curve(der);
                    byte[] alg = seq(concat(OID_EC, curve));
                    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                            seq(concat(new byte[] {0x02, 0x01, 0x00}, alg, tlv(0x04, der)))));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new GeneralSecurityException(
                        "the private key is encrypted; give an unencrypted one (openssl pkey -in KEY -out KEY.pem)");
                default -> {
                    // other blocks (EC PARAMETERS, a certificate in the same file) are skipped
                }
            }
        }
        throw new GeneralSecurityException("no private key found (expected BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("unsupported PKCS#8 key", last);
    }

    /** Whether the key signs what the certificate's public key verifies. */
    static boolean matches(PrivateKey key, PublicKey pub) {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> null;
        };
        if (alg == null || !alg.equals(algFor(pub))) {
            return alg == null && key.getAlgorithm().equals(pub.getAlgorithm());
        }
        try {
            byte[] probe = "posthorn".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String algFor(PublicKey pub) {
        return switch (pub.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> "";
        };
    }

    /**
     * Makes a self-signed EC (P-256) certificate for {@code hostname} (plus localhost and 127.0.0.1),
     * valid ten years, and writes it and its key (PKCS#8, mode 600) as PEM. The certificate is
     * encoded here, a few DER structures, so that no crypto library or keytool process is needed.
     */
    public static void generateSelfSigned(Path certFile, Path keyFile, String hostname) throws IOException, GeneralSecurityException {
        Files.createDirectories(keyFile.toAbsolutePath().getParent());
        Files.createDirectories(certFile.toAbsolutePath().getParent());
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = gen.generateKeyPair();
        byte[] cert = selfSigned(pair, hostname, Instant.now());
        // check what was made the way a client will
        X509Certificate parsed = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(cert));
        parsed.verify(pair.getPublic());
        writeAtomically(keyFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), true);
        writeAtomically(certFile, pem("CERTIFICATE", cert), false);
    }

    /** A DER X.509 v3 certificate (RFC 5280 4.1), signed by its own key with ECDSA and SHA-256. */
    static byte[] selfSigned(KeyPair pair, String hostname, Instant now) throws GeneralSecurityException {
        byte[] sigAlg = seq(OID_ECDSA_SHA256);
        byte[] serial = new byte[16];
        new SecureRandom().nextBytes(serial);
        serial[0] &= 0x7f;
        serial[0] |= 0x01; // positive, no leading zero byte
        String cn = hostname.isBlank() ? "localhost" : hostname;
        byte[] name = seq(tlv(0x31, seq(concat(OID_CN, tlv(0x0c, cn.getBytes(StandardCharsets.UTF_8))))));
        byte[] validity = seq(concat(time(now.minus(1, ChronoUnit.DAYS)), time(now.plus(3650, ChronoUnit.DAYS))));
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        names.writeBytes(tlv(0x82, "localhost".getBytes(StandardCharsets.US_ASCII)));
        if (!cn.equals("localhost") && cn.matches("[A-Za-z0-9.-]+")) {
            names.writeBytes(tlv(0x82, cn.getBytes(StandardCharsets.US_ASCII)));
        }
        names.writeBytes(tlv(0x87, new byte[] {127, 0, 0, 1}));
        byte[] san = seq(concat(OID_SAN, tlv(0x04, seq(names.toByteArray()))));
        byte[] tbs = seq(concat(
                tlv(0xa0, new byte[] {0x02, 0x01, 0x02}), // version v3
                tlv(0x02, serial),
                sigAlg,
                name,
                validity,
                name,
                pair.getPublic().getEncoded(), // SubjectPublicKeyInfo
                tlv(0xa3, seq(san))));
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(pair.getPrivate());
        signer.update(tbs);
        byte[] sig = signer.sign();
        return seq(concat(tbs, sigAlg, tlv(0x03, concat(new byte[] {0}, sig))));
    }

    /** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
    private static byte[] time(Instant t) {
        ZonedDateTime z = t.atZone(ZoneOffset.UTC);
        boolean utc = z.getYear() < 2050;
        String text = DateTimeFormatter.ofPattern(utc ? "yyMMddHHmmss'Z'" : "yyyyMMddHHmmss'Z'").format(z);
        return tlv(utc ? 0x17 : 0x18, text.getBytes(StandardCharsets.US_ASCII));
    }

    private static void writeAtomically(Path file, String text, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret) {
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
        }
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] decode(String base64) {
        return Base64.getMimeDecoder().decode(base64);
    }

    /** The [0] curve parameters of a SEC1 key, as a DER OID. */
    private static byte[] sec1Curve(byte[] der) throws GeneralSecurityException {
        int[] pos = {0};
        expect(der, pos, 0x30);
        int end = length(der, pos) + pos[0];
        while (pos[0] < end) {
            int tag = der[pos[0]++] & 0xff;
            int len = length(der, pos);
            if (tag == 0xa0) {
                byte[] oid = new byte[len];
                System.arraycopy(der, pos[0], oid, 0, len);
                if (oid.length == 0 || oid[0] != 0x06) {
                    throw new GeneralSecurityException("EC key with explicit curve parameters; use a named curve");
                }
                return oid;
            }
            pos[0] += len;
        }
        throw new GeneralSecurityException("EC PRIVATE KEY without a curve name");
    }

    private static void expect(byte[] der, int[] pos, int tag) throws GeneralSecurityException {
        if (pos[0] >= der.length || (der[pos[0]++] & 0xff) != tag) {
            throw new GeneralSecurityException("malformed key");
        }
    }

    private static int length(byte[] der, int[] pos) throws GeneralSecurityException {
        if (pos[0] >= der.length) {
            throw new GeneralSecurityException("malformed key");
        }
        int b = der[pos[0]++] & 0xff;
        if (b < 0x80) {
            return b;
        }
        int n = b & 0x7f;
        if (n > 3 || pos[0] + n > der.length) {
            throw new GeneralSecurityException("malformed key");
        }
        int len = 0;
        for (int i = 0; i < n; i++) {
            len = (len << 8) | (der[pos[0]++] & 0xff);
        }
        if (len > der.length - pos[0]) {
            throw new GeneralSecurityException("malformed key");
        }
        return len;
    }

    private static byte[] seq(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(tag);
        int n = content.length;
        if (n < 0x80) {
            b.write(n);
        } else if (n < 0x100) {
            b.write(0x81);
            b.write(n);
        } else if (n < 0x10000) {
            b.write(0x82);
            b.write(n >> 8);
            b.write(n);
        } else {
            b.write(0x83);
            b.write(n >> 16);
            b.write(n >> 8);
            b.write(n);
        }
        b.writeBytes(content);
        return b.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }
}
