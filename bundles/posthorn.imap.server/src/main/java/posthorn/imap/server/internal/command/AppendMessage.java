package posthorn.imap.server.internal.command;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.store.api.MessageUpload;
import posthorn.store.api.StoreException;

/**
 * One message of an APPEND as the client wrote it: the one reading of APPEND's grammar after the
 * mailbox name (RFC 3501 append, RFC 3502 MULTIAPPEND's several messages, RFC 4469 CATENATE), so that
 * an extension of APPEND's syntax changes this place only (RFC 6855 UTF8 too; REPLACE reads its one
 * message here).
 *
 * <pre>
 * append-message = [SP flag-list] [SP date-time] SP append-data
 * append-data    = literal / literal8 / "CATENATE" SP "(" cat-part *(SP cat-part) ")"
 *                  / "UTF8" SP "(" literal8 ")"                      ; RFC 6855, after ENABLE UTF8=ACCEPT
 * cat-part       = "TEXT" SP literal / "URL" SP astring
 * </pre>
 *
 * @param flags   the canonical flags to set ({@link Append#flags})
 * @param date    the internal date
 * @param content the message itself, or the parts to build it of
 */
record AppendMessage(Set<String> flags, Instant date, Content content) {

    /** What the message is made of. */
    sealed interface Content {
    }

    /**
     * A literal: in memory ({@code text}) or streamed into an upload as it arrived ({@code upload});
     * exactly one of them is set. As a CATENATE part, a TEXT literal.
     */
    record Literal(byte[] text, MessageUpload upload) implements Content, CatPart {
        long size() {
            return upload != null ? upload.size() : text.length;
        }
    }

    /** RFC 4469: the message is the concatenation of the parts, in order. */
    record Catenate(List<CatPart> parts) implements Content {
    }

    /** A part of a CATENATE: TEXT's literal, or a URL naming (part of) a message. */
    sealed interface CatPart {
    }

    /** URL's astring, as written (a URL to resolve). */
    record Url(String url) implements CatPart {
    }

    /**
     * Reads every append-message up to the end of the line; at least one.
     *
     * @param maxParts the most parts one CATENATE may have (imapd.cfg catenate.max.parts); more is BAD
     */
    static List<AppendMessage> readAll(ArgReader args, CommandContext ctx, int maxParts)
            throws ProtocolException, StoreException {
        List<AppendMessage> messages = new ArrayList<>();
        while (args.skip(' ')) {
            messages.add(read(args, ctx, maxParts));
        }
        args.end();
        if (messages.isEmpty()) {
            throw new ProtocolException("Expected a message literal");
        }
        return messages;
    }

    /**
     * One append-message after its SP: [flag-list SP] [date-time SP] append-data. REPLACE (RFC 8508)
     * reads its message with this too.
     */
    static AppendMessage read(ArgReader args, CommandContext ctx, int maxParts) throws ProtocolException, StoreException {
        Set<String> flags = Set.of();
        if (args.peek('(')) {
            flags = Append.flags(args.flagList());
            args.sp();
        }
        Instant date = Instant.now();
        if (args.peek('"')) {
            ZonedDateTime d = args.dateTime();
            date = d.toInstant();
            args.sp();
        }
        Content content;
        if (args.peekKeyword("CATENATE")) {
            args.atom();
            args.sp();
            content = new Catenate(parts(args, ctx, maxParts));
        } else if (args.peekKeyword("UTF8")) {
            // RFC 6855 4: append-data =/ "UTF8" SP "(" literal8 ")", only after ENABLE UTF8=ACCEPT
            if (!ctx.enabled("UTF8=ACCEPT")) {
                throw new ProtocolException("APPEND UTF8 needs ENABLE UTF8=ACCEPT first");
            }
            args.atom();
            args.sp();
            if (!args.skip('(') || !args.peek('~')) {
                throw new ProtocolException("Expected (~{n}) after UTF8");
            }
            content = literal(args, ctx);
            if (!args.skip(')')) {
                throw new ProtocolException("Expected ) after the UTF8 literal");
            }
        } else {
            content = literal(args, ctx);
        }
        return new AppendMessage(flags, date, content);
    }

    /** "(" cat-part *(SP cat-part) ")": no CATENATE inside (nothing nests), at most {@code maxParts}. */
    private static List<CatPart> parts(ArgReader args, CommandContext ctx, int maxParts)
            throws ProtocolException, StoreException {
        if (!args.peek('(')) {
            throw new ProtocolException("Expected ( after CATENATE");
        }
        args.listOpen();
        List<CatPart> parts = new ArrayList<>();
        do {
            if (parts.size() == maxParts) {
                throw new ProtocolException("TOOBIG", "More than " + maxParts + " CATENATE parts (catenate.max.parts)");
            }
            String kind = args.atom().toUpperCase(java.util.Locale.ROOT);
            args.sp();
            switch (kind) {
                case "TEXT" -> parts.add(literal(args, ctx));
                case "URL" -> parts.add(new Url(args.astring()));
                default -> throw new ProtocolException("Expected TEXT or URL in CATENATE, not " + kind);
            }
        } while (args.skip(' '));
        args.listClose();
        return parts;
    }

    private static Literal literal(ArgReader args, CommandContext ctx) throws ProtocolException, StoreException {
        int streamed = args.streamedLiteral();
        if (streamed >= 0) {
            return new Literal(null, ctx.streamedLiteral(streamed));
        }
        return new Literal(args.stringBytes(), null);
    }
}
