package posthorn.auth.cram.internal;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import posthorn.auth.api.Authenticator;
import posthorn.auth.api.CredentialSource;
import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;

/**
 * An auth chain of one in-memory backend, the way the server's chain answers mechanisms: clear
 * passwords (as SQL or LDAP supply them) and HMAC-MD5 states (as userdb's hmac-md5pw).
 */
final class TestChain implements Authenticator {
    final Map<String, String> plain = new HashMap<>();
    final Map<String, String> hmacStates = new HashMap<>();

    TestChain plain(String user, String password) {
        plain.put(user, password);
        return this;
    }

    TestChain states(String user, String hex) {
        hmacStates.put(user, hex);
        return this;
    }

    @Override
    public Verdict verify(String user, Secret password) {
        throw new UnsupportedOperationException("mechanisms here never verify a clear password");
    }

    @Override
    public Optional<Secret> credential(String user, String scheme) {
        if (scheme.equals(CredentialSource.PLAIN) && plain.containsKey(user)) {
            return Optional.of(Secret.of(plain.get(user)));
        }
        if (scheme.equals(CredentialSource.HMAC_MD5) && hmacStates.containsKey(user)) {
            return Optional.of(Secret.ofUtf8(HexFormat.of().parseHex(hmacStates.get(user))));
        }
        return Optional.empty();
    }

    @Override
    public Set<String> credentialSchemes() {
        Set<String> s = new java.util.LinkedHashSet<>();
        if (!plain.isEmpty()) {
            s.add(CredentialSource.PLAIN);
        }
        if (!hmacStates.isEmpty()) {
            s.add(CredentialSource.HMAC_MD5);
        }
        return s;
    }

    @Override
    public Optional<UserRecord> lookup(String user) {
        return plain.containsKey(user) || hmacStates.containsKey(user)
                ? Optional.of(UserRecord.of(user, Path.of("/home", user))) : Optional.empty();
    }
}
