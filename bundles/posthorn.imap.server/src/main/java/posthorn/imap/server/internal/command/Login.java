package posthorn.imap.server.internal.command;

import java.io.IOException;

import posthorn.auth.api.Secret;
import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;

/**
 * LOGIN (RFC 3501 6.2.3); the login flow decides and answers. Refused without TLS outside trusted.networks
 * unless configured (LOGINDISABLED is then announced). The password is never logged.
 */
final class Login implements Command<SessionState.NotAuthenticated> {
    @Override
    public void execute(CommandContext ctx, SessionState.NotAuthenticated state, String tag, ArgReader args)
            throws ProtocolException, IOException {
        args.sp();
        String user = args.astring();
        args.sp();
        Secret password = Secret.of(args.astring());
        args.end();
        try {
            ctx.login().login(tag, user, password);
        } finally {
            password.clear();
        }
    }
}
