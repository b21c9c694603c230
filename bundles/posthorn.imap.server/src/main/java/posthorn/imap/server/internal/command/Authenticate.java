package posthorn.imap.server.internal.command;

import java.io.IOException;
import java.util.Base64;
import java.util.Locale;

import posthorn.auth.api.SaslExchange;
import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.auth.LoginFlow;
import posthorn.imap.server.internal.state.SessionState;

/**
 * AUTHENTICATE (RFC 3501 6.2.2) with SASL-IR (RFC 4959): runs the named mechanism's exchange, each
 * challenge as "+ base64", each client line base64-decoded; "*" cancels. PLAIN and LOGIN are built
 * in; CRAM-MD5, SCRAM and others come as SaslMechanism services. The login flow chooses the
 * mechanism, refuses what is not allowed and answers the outcome; this class carries the exchange.
 */
final class Authenticate implements Command<SessionState.NotAuthenticated> {
    @Override
    public void execute(CommandContext ctx, SessionState.NotAuthenticated state, String tag, ArgReader args)
            throws ProtocolException, IOException {
        args.sp();
        String name = args.atom().toUpperCase(Locale.ROOT);
        String initial = null;
        if (!args.atEnd()) {
            args.sp();
            initial = args.atom();
        }
        args.end();
        LoginFlow.Attempt attempt = ctx.login().authenticate(tag, name);
        if (attempt == null) {
            return;
        }
        SaslExchange exchange = attempt.exchange();
        byte[] challenge = exchange.initialChallenge();
        byte[] response;
        if (initial != null) {
            if (challenge.length > 0) {
                // RFC 4959: an initial response to a server-first mechanism is a protocol error.
                throw new ProtocolException(name + " does not take an initial response");
            }
            response = decode(initial);
        } else {
            response = ask(ctx, challenge);
        }
        SaslExchange.Step step = exchange.respond(response);
        while (step instanceof SaslExchange.Step.Challenge c) {
            step = exchange.respond(ask(ctx, c.data()));
        }
        attempt.finish(tag, step);
    }

    /** Sends a challenge and reads the client's answer. */
    private static byte[] ask(CommandContext ctx, byte[] challenge) throws IOException, ProtocolException {
        ctx.out().continuation(Base64.getEncoder().encodeToString(challenge));
        String line = ctx.readLine();
        if (line.equals("*")) {
            throw new ProtocolException("Authentication cancelled");
        }
        return decode(line);
    }

    private static byte[] decode(String text) throws ProtocolException {
        if (text.equals("=")) {
            return new byte[0];
        }
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("Invalid base64 in the SASL response");
        }
    }
}
