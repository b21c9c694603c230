package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.session.Session;
import posthorn.imap.server.internal.state.SessionState;

/**
 * ENABLE (RFC 5161): turns on extensions the server announces and knows how to enable; the others
 * are ignored. The untagged ENABLED lists those newly enabled. Valid only before a mailbox is
 * selected (RFC 5161 3.1).
 */
final class Enable implements Command {
    @Override
    public String name() {
        return "ENABLE";
    }

    @Override
    public Set<State> states() {
        return AUTHENTICATED;
    }

    @Override
    public void execute(Session session, String tag, ArgReader args) throws ProtocolException, IOException {
        List<String> requested = new ArrayList<>();
        do {
            args.sp();
            requested.add(args.atom());
        } while (!args.atEnd());
        args.end();
        if (session.state() instanceof SessionState.Selected) {
            throw new ProtocolException("ENABLE is not valid with a mailbox selected");
        }
        List<String> now = new ArrayList<>();
        for (String r : requested) {
            String name = Capabilities.enableable(r);
            if (name != null && !session.enabled(name)) {
                session.enable(name);
                now.add(name);
            }
        }
        session.out().untagged().raw("ENABLED");
        for (String n : now) {
            session.out().sp().raw(n);
        }
        session.out().crlf();
        session.log().info("s{} ENABLE {} -> {}", session.id(), requested, now);
        session.out().status(tag, Status.OK, null, "ENABLE completed");
    }
}
