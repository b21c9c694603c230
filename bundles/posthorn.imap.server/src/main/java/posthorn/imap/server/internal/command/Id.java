package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.auth.AuthChain;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * ID (RFC 2971): logs what the client says it is and answers with the server's name and version.
 * The RFC's limits apply: at most 30 pairs, field names up to 30 bytes, values up to 1024.
 */
final class Id implements Command<SessionState> {
    @Override
    public void execute(CommandContext ctx, SessionState state, String tag, ArgReader args)
            throws ProtocolException, IOException, StoreException {
        args.sp();
        Map<String, String> client = new LinkedHashMap<>();
        if (args.peek('(')) {
            args.listOpen();
            while (!args.peek(')')) {
                if (!client.isEmpty()) {
                    args.sp();
                }
                byte[] field = args.stringBytes();
                args.sp();
                byte[] value = args.nstringBytes();
                if (field.length > 30 || (value != null && value.length > 1024)) {
                    throw new ProtocolException("ID field or value too long (RFC 2971 3.3)");
                }
                if (client.size() >= 30) {
                    throw new ProtocolException("More than 30 ID fields (RFC 2971 3.3)");
                }
                client.put(new String(field, StandardCharsets.UTF_8),
                        value == null ? "NIL" : new String(value, StandardCharsets.UTF_8));
            }
            args.listClose();
        } else if (args.nstringBytes() != null) {
            throw new ProtocolException("Expected a parenthesised list or NIL");
        }
        args.end();
        if (!client.isEmpty()) {
            ctx.log().info("s{} client ID {}", ctx.id(), AuthChain.printable(client.toString()));
        }
        ctx.out().untagged().raw("ID (").string("name").sp().string("Posthorn").sp()
                .string("version").sp().string(ctx.serverVersion()).raw(")").crlf();
        ctx.completed(tag);
    }
}
