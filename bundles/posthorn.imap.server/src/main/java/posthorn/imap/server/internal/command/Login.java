package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.auth.api.Secret;
import posthorn.auth.api.Verdict;
import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.session.Session;

/**
 * LOGIN (RFC 3501 6.2.3). Refused without TLS off loopback unless configured (LOGINDISABLED is then
 * announced). The password is never logged.
 */
final class Login implements Command {
    @Override
    public String name() {
        return "LOGIN";
    }

    @Override
    public Set<State> states() {
        return NOT_AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException {
        args.sp();
        String user = args.astring();
        args.sp();
        Secret password = Secret.of(args.astring());
        args.end();
        try {
            if (!session.plaintextAllowed()) {
                session.log().info("s{} LOGIN refused: plaintext without TLS from {}", session.id(), session.peer());
                session.loginRefused(tag, "PRIVACYREQUIRED", "Plaintext login is disabled without TLS");
                return;
            }
            authenticate(session, tag, user, password, "LOGIN");
        } finally {
            password.clear();
        }
    }

    /** Verifies a user name and password with the chain and answers; shared with AUTHENTICATE PLAIN. */
    static void authenticate(Session session, String tag, String user, Secret password, String how) throws IOException {
        Verdict v = session.auth().verify(user, password);
        switch (v) {
            case Verdict.Success s -> session.login(tag, s.user(), how);
            case Verdict.Unavailable u -> session.loginRefused(tag, "UNAVAILABLE",
                    "Authentication is not available now; try again later");
            default -> {
                session.log().info("s{} {} failed for user {} from {}", session.id(), how,
                        AuthChain.printable(user), session.peer());
                session.loginFailed(tag, user, "AUTHENTICATIONFAILED", "Authentication failed");
            }
        }
    }
}
