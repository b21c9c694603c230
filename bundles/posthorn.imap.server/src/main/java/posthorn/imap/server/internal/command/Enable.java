package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.Status;
import posthorn.imap.server.internal.state.SessionState;

/**
 * ENABLE (RFC 5161): turns on extensions the server announces and knows how to enable; the others
 * are ignored. The untagged ENABLED lists those newly enabled. Valid only while no mailbox is
 * selected (RFC 5161 3.1).
 */
final class Enable implements Command<SessionState.Authenticated> {
    @Override
    public void execute(CommandContext ctx, SessionState.Authenticated state, String tag, ArgReader args)
            throws ProtocolException, IOException {
        List<String> requested = new ArrayList<>();
        do {
            args.sp();
            requested.add(args.atom());
        } while (!args.atEnd());
        args.end();
        List<String> now = new ArrayList<>();
        for (String r : requested) {
            String name = Capabilities.enableable(r);
            if (name != null && !(" " + ctx.capabilities() + " ").contains(" " + name + " ")) {
                name = null; // not announced now: it needs a store part the bound store lacks (CONDSTORE)
            }
            if (name != null && !ctx.enabled(name)) {
                ctx.enable(name);
                now.add(name);
                if (name.equalsIgnoreCase(CondStore.QRESYNC)) {
                    ctx.enable(CondStore.CONDSTORE); // RFC 7162 3.2.3: QRESYNC implies CONDSTORE
                }
            }
        }
        ctx.out().untagged().raw("ENABLED");
        for (String n : now) {
            ctx.out().sp().raw(n);
        }
        ctx.out().crlf();
        ctx.log().info("s{} ENABLE {} -> {}", ctx.id(), requested, now);
        ctx.out().status(tag, Status.OK, null, "ENABLE completed");
    }
}
