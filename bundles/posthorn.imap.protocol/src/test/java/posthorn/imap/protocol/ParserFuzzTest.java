package posthorn.imap.protocol;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the receiver and the argument reader (Jazzer). In the ordinary test
 * run it replays the inputs under src/test/resources (regression mode); `./posthorn test` also runs
 * it in fuzzing mode for a bounded time, and `./posthorn fuzz [SECONDS]` for longer.
 *
 * <p>The property: whatever bytes a client sends, in whatever pieces, the codec ends every call
 * with an event or a {@link ProtocolException} -- no other exception, no endless loop -- and never
 * holds more than the limits allow.
 */
class ParserFuzzTest {
    private static final ParserLimits LIMITS = new ParserLimits(1024, 4096, 8);

    @FuzzTest(maxDuration = "10s")
    void receiverAndArguments(FuzzedDataProvider data) {
        CommandReceiver receiver = new CommandReceiver(LIMITS);
        int rounds = 0;
        while (data.remainingBytes() > 0 && rounds++ < 64) {
            int chunk = data.consumeInt(1, 512);
            byte[] bytes = data.consumeBytes(chunk);
            ByteBuffer in = ByteBuffer.wrap(bytes);
            int events = 0;
            while (true) {
                int before = in.remaining();
                CommandReceiver.Event e = receiver.receive(in);
                if (e instanceof CommandReceiver.Event.NeedMore) {
                    assertTrue(!in.hasRemaining(), "NeedMore with input left");
                    break;
                }
                if (++events > bytes.length + 2 && in.remaining() == before) {
                    fail("receiver makes no progress");
                }
                switch (e) {
                    case CommandReceiver.Event.Line line -> parse(line, data.consumeInt(0, 7));
                    case CommandReceiver.Event.LiteralAnnounced l -> {
                        assertTrue(l.size() <= LIMITS.maxLiteralSize(), "literal over the limit announced");
                        // the server's choices: keep it in the line, refuse, stream or drop it
                        switch (data.consumeInt(0, 3)) {
                            case 1 -> {
                                if (!l.nonSynchronizing()) {
                                    receiver.rejectLiteral();
                                }
                            }
                            case 2 -> receiver.streamLiteral();
                            case 3 -> {
                                if (l.nonSynchronizing()) {
                                    receiver.discardLiteral();
                                }
                            }
                            default -> {
                            }
                        }
                    }
                    case CommandReceiver.Event.LiteralData d -> assertTrue(d.bytes().hasRemaining(), "empty literal data");
                    default -> {
                    }
                }
            }
        }
    }

    /** Reads a command line the way the server's commands do; only ProtocolException may come out. */
    private static void parse(CommandReceiver.Event.Line line, int shape) {
        ArgReader r = new ArgReader(line.bytes(), LIMITS.maxNesting(), line.streamed());
        try {
            r.tag();
            r.sp();
            r.atom();
            r.sp();
            switch (shape) {
                case 0 -> {
                    r.sequenceSet();
                    r.sp();
                    r.fetchAttributes();
                }
                case 1 -> {
                    r.astring();
                    r.sp();
                    r.astring();
                }
                case 2 -> {
                    r.mailbox();
                    r.sp();
                    r.listMailbox();
                }
                case 3 -> {
                    r.mailbox();
                    r.sp();
                    r.flagList();
                    r.sp();
                    r.dateTime();
                    r.sp();
                    if (r.streamedLiteral() < 0) {
                        r.stringBytes();
                    }
                }
                case 4 -> {
                    r.sequenceSet();
                    r.sp();
                    r.atom();
                    r.sp();
                    r.flags();
                }
                case 5 -> {
                    r.listOpen();
                    r.astring();
                    r.listClose();
                    r.date();
                }
                case 6 -> MailboxNames.decode(r.astring());
                default -> {
                    r.number(true);
                    r.nstringBytes();
                }
            }
            r.end();
        } catch (ProtocolException expected) {
            // malformed input is answered with BAD: fine
        }
    }
}
