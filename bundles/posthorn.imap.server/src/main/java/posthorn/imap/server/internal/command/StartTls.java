package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.session.Session;

/** STARTTLS (RFC 3501 6.2.1); the session does the work and the STARTTLS-injection defence. */
final class StartTls implements Command {
    @Override
    public String name() {
        return "STARTTLS";
    }

    @Override
    public Set<State> states() {
        return NOT_AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException {
        args.end();
        if (session.tlsActive()) {
            throw new ProtocolException("TLS is already active");
        }
        if (!session.startTlsOffered()) {
            throw new ProtocolException("STARTTLS is not available on this server");
        }
        session.startTls(tag);
    }
}
