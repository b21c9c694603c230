package posthorn.imap.server.internal.net;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * The server's TLS identity from PEM files: a certificate chain and an unencrypted private key in
 * PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}) form, as openssl and certbot write them. Also makes a self-signed
 * pair for a first start. BouncyCastle's bcpkix reads and builds the structures; the keys, signatures
 * and the certificates handed to TLS are the JDK's own (no BouncyCastle security provider is
 * installed).
 */
public final class TlsFiles {

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

    /** The certificates of a PEM text, in order; other blocks (a key in the same file) are passed over. */
    static List<X509Certificate> certificates(String pem) throws GeneralSecurityException {
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        List<X509Certificate> out = new ArrayList<>();
        for (Block b : blocks(pem)) {
            if (b.type().equals(PEMParser.TYPE_CERTIFICATE) || b.type().equals(PEMParser.TYPE_X509_CERTIFICATE)) {
                if (!(b.value() instanceof X509CertificateHolder holder)) {
                    throw new GeneralSecurityException("unreadable certificate: " + b.error().getMessage(), b.error());
                }
                out.add(converter.getCertificate(holder));
            }
        }
        return out;
    }

    /** The first private key in a PEM text; blocks of other kinds, readable or not, are passed over. */
    static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        for (Block b : blocks(pem)) {
            try {
                switch (b.value()) {
                    case PrivateKeyInfo info -> {
                        return converter.getPrivateKey(info);
                    }
                    case PEMKeyPair pair -> {
                        return converter.getKeyPair(pair).getPrivate();
                    }
                    case PKCS8EncryptedPrivateKeyInfo x -> throw encrypted();
                    case PEMEncryptedKeyPair x -> throw encrypted();
                    case null, default -> {
                        // a certificate, EC PARAMETERS, or a block that could not be read
                    }
                }
            } catch (PEMException e) {
                throw new GeneralSecurityException("unsupported private key (" + b.type() + "): " + e.getMessage(), e);
            }
        }
        throw new GeneralSecurityException("no private key found (expected BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    private static GeneralSecurityException encrypted() {
        return new GeneralSecurityException(
                "the private key is encrypted; give an unencrypted one (openssl pkey -in KEY -out KEY.pem)");
    }

    /**
     * One PEM block: its type and what PEMParser made of it, or, if it could not (a type it does not
     * know, a broken body), the reason. Each block is judged on its own, so that a broken block of
     * a kind the caller does not want does not hide the one it does.
     */
    private record Block(String type, Object value, Exception error) {
    }

    private static List<Block> blocks(String pem) throws GeneralSecurityException {
        // PEMParser throws for a block it cannot read without saying which it was: the types are read
        // first, then the blocks, one for one.
        List<String> types = new ArrayList<>();
        try (PemReader reader = new PemReader(new StringReader(pem))) {
            for (PemObject o = reader.readPemObject(); o != null; o = reader.readPemObject()) {
                types.add(o.getType());
            }
        } catch (IOException | RuntimeException e) {
            throw new GeneralSecurityException("not a PEM file: " + e.getMessage(), e);
        }
        List<Block> blocks = new ArrayList<>(types.size());
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (String type : types) {
                try {
                    blocks.add(new Block(type, parser.readObject(), null));
                } catch (IOException | RuntimeException e) {
                    blocks.add(new Block(type, null, e));
                }
            }
        } catch (IOException e) {
            throw new GeneralSecurityException("not a PEM file: " + e.getMessage(), e);
        }
        return blocks;
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
     * valid ten years, and writes it and its key (PKCS#8, mode 600) as PEM.
     */
    public static void generateSelfSigned(Path certFile, Path keyFile, String hostname) throws IOException, GeneralSecurityException {
        Files.createDirectories(keyFile.toAbsolutePath().getParent());
        Files.createDirectories(certFile.toAbsolutePath().getParent());
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = gen.generateKeyPair();
        X509Certificate cert = selfSigned(pair, hostname, Instant.now());
        // check what was made the way a client will
        cert.verify(pair.getPublic());
        writeAtomically(keyFile, pem(new JcaPKCS8Generator(pair.getPrivate(), null).generate()), true);
        writeAtomically(certFile, pem("CERTIFICATE", cert.getEncoded()), false);
    }

    /**
     * An X.509 v3 certificate (RFC 5280) signed by its own key with ECDSA and SHA-256: a random
     * positive 127-bit serial, the host name as CN and in the subject alternative names, beside
     * localhost and 127.0.0.1, valid from a day ago for ten years.
     */
    static X509Certificate selfSigned(KeyPair pair, String hostname, Instant now) throws GeneralSecurityException {
        String cn = hostname.isBlank() ? "localhost" : hostname;
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
        List<GeneralName> names = new ArrayList<>();
        names.add(new GeneralName(GeneralName.dNSName, "localhost"));
        if (!cn.equals("localhost") && cn.matches("[A-Za-z0-9.-]+")) {
            names.add(new GeneralName(GeneralName.dNSName, cn));
        }
        names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        try {
            X509CertificateHolder holder = new JcaX509v3CertificateBuilder(name, new BigInteger(127, new SecureRandom()).setBit(126),
                    Date.from(now.minus(1, ChronoUnit.DAYS)), Date.from(now.plus(3650, ChronoUnit.DAYS)), name,
                    pair.getPublic())
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(names.toArray(GeneralName[]::new)))
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (OperatorCreationException | IOException e) {
            throw new GeneralSecurityException("cannot make a self-signed certificate: " + e.getMessage(), e);
        }
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
        return pem(new PemObject(type, der));
    }

    private static String pem(PemObject o) {
        StringWriter text = new StringWriter();
        try (PemWriter w = new PemWriter(text)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException("writing to a string failed", e);
        }
        return text.toString();
    }
}
