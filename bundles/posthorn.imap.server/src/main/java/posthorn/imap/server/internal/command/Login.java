package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.auth.api.Secret;
import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;

/**
 * LOGIN (RFC 3501 6.2.3); the login flow decides and answers. Refused without TLS off loopback
 * unless configured (LOGINDISABLED is then announced). The password is never logged.
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
            session.loginFlow().login(tag, user, password);
        } finally {
            password.clear();
        }
    }
}
