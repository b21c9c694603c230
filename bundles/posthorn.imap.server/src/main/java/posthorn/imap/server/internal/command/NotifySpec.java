package posthorn.imap.server.internal.command;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.FetchAttribute;
import posthorn.imap.protocol.ProtocolException;

/**
 * A NOTIFY command's arguments (RFC 5465 3.1, 8), parsed and checked: {@code NONE}, or {@code SET}
 * with the STATUS indicator and the event groups. Mailbox names stay as the client wrote them; the
 * session resolves them ({@link NotifySession}).
 *
 * <p>What is BAD and what is NO follows the RFC: grammar, MessageNew without MessageExpunge (or the
 * reverse), FlagChange or AnnotationChange without both (section 5), a mailbox event with SELECTED
 * (6.1), both SELECTED and SELECTED-DELAYED (6.1) are BAD; an event the server does not support is NO
 * [BADEVENT (the supported events)] (3.1), which {@link #unsupported} lists for the command to answer.
 */
record NotifySpec(boolean none, boolean status, List<Group> groups, Set<String> unsupported) {

    /** The events this server reports (BADEVENT's list, RFC 5465 3.1). */
    enum Event {
        MESSAGE_NEW("MessageNew", true),
        MESSAGE_EXPUNGE("MessageExpunge", true),
        FLAG_CHANGE("FlagChange", true),
        MAILBOX_NAME("MailboxName", false),
        SUBSCRIPTION_CHANGE("SubscriptionChange", false),
        /** RFC 5465 5.6: REQUIRED where METADATA (RFC 5464) is announced, and reported only then. */
        MAILBOX_METADATA_CHANGE("MailboxMetadataChange", false),
        /** RFC 5465 5.7: REQUIRED where METADATA-SERVER is announced, and reported only then. */
        SERVER_METADATA_CHANGE("ServerMetadataChange", false);

        final String wire;
        /** A message-event (RFC 5465 8), the only kind SELECTED and SELECTED-DELAYED take. */
        final boolean message;

        Event(String wire, boolean message) {
            this.wire = wire;
            this.message = message;
        }

        /** One of the METADATA events, supported only while METADATA is announced. */
        boolean metadata() {
            return this == MAILBOX_METADATA_CHANGE || this == SERVER_METADATA_CHANGE;
        }

        static Event of(String atom) {
            for (Event e : values()) {
                if (e.wire.equalsIgnoreCase(atom)) {
                    return e;
                }
            }
            return null;
        }
    }

    /**
     * The event of RFC 5465 this server never reports: AnnotationChange (per-message annotations,
     * RFC 5257 ANNOTATE, not offered). Named so that the composition rules of section 5 still apply to
     * it. The METADATA events are known {@link Event}s, refused by {@link #refused} while METADATA is off.
     */
    private static final Set<String> KNOWN_UNSUPPORTED_MESSAGE = Set.of("ANNOTATIONCHANGE");

    /** Which mailboxes a group is about (RFC 5465 6). */
    enum Filter { SELECTED, SELECTED_DELAYED, INBOXES, PERSONAL, SUBSCRIBED, SUBTREE, MAILBOXES }

    /**
     * One event group: its filter, the mailbox names SUBTREE and MAILBOXES give (as written), its
     * events (empty for NONE), and MessageNew's fetch attributes (empty when none were asked).
     */
    record Group(Filter filter, List<String> mailboxes, Set<Event> events, List<FetchAttribute> fetch) {
        boolean selected() {
            return filter == Filter.SELECTED || filter == Filter.SELECTED_DELAYED;
        }
    }

    /**
     * The supported events' names as BADEVENT lists them: {@code (MessageNew ...)}; the METADATA events
     * only with {@code metadata} (the capability is announced).
     */
    static String badEventList(boolean metadata) {
        StringBuilder b = new StringBuilder("BADEVENT (");
        String sep = "";
        for (Event e : Event.values()) {
            if (e.metadata() && !metadata) {
                continue;
            }
            b.append(sep).append(e.wire);
            sep = " ";
        }
        return b.append(')').toString();
    }

    /**
     * The events asked for that this server will not report (NO [BADEVENT], 3.1), upper case: the
     * unknown and unsupported ones, and the METADATA ones unless {@code metadata}.
     */
    Set<String> refused(boolean metadata) {
        Set<String> out = new LinkedHashSet<>(unsupported);
        if (!metadata) {
            for (Group g : groups) {
                for (Event e : g.events()) {
                    if (e.metadata()) {
                        out.add(e.wire.toUpperCase(Locale.ROOT));
                    }
                }
            }
        }
        return out;
    }

    /** Whether any group asks for a METADATA event. */
    boolean wantsMetadata() {
        return groups.stream().anyMatch(g -> g.events().stream().anyMatch(Event::metadata));
    }

    /** Parses what follows "NOTIFY " up to the end of the line. */
    static NotifySpec parse(ArgReader args) throws ProtocolException {
        String verb = args.atom().toUpperCase(Locale.ROOT);
        if (verb.equals("NONE")) {
            args.end();
            return new NotifySpec(true, false, List.of(), Set.of());
        }
        if (!verb.equals("SET")) {
            throw new ProtocolException("Expected NOTIFY SET or NOTIFY NONE");
        }
        args.sp();
        boolean status = false;
        if (args.peekKeyword("STATUS")) {
            args.atom();
            args.sp();
            status = true;
        }
        List<Group> groups = new ArrayList<>();
        Set<String> unsupported = new LinkedHashSet<>();
        boolean selectedSeen = false;
        do {
            Group g = group(args, unsupported);
            if (g.selected()) {
                if (selectedSeen) {
                    throw new ProtocolException("Only one of SELECTED and SELECTED-DELAYED may be given (RFC 5465 6.1)");
                }
                selectedSeen = true;
            }
            groups.add(g);
        } while (args.skip(' '));
        args.end();
        return new NotifySpec(false, status, List.copyOf(groups), Set.copyOf(unsupported));
    }

    private static Group group(ArgReader args, Set<String> unsupported) throws ProtocolException {
        args.listOpen();
        String f = args.atom().toUpperCase(Locale.ROOT);
        Filter filter = switch (f) {
            case "SELECTED" -> Filter.SELECTED;
            case "SELECTED-DELAYED" -> Filter.SELECTED_DELAYED;
            case "INBOXES" -> Filter.INBOXES;
            case "PERSONAL" -> Filter.PERSONAL;
            case "SUBSCRIBED" -> Filter.SUBSCRIBED;
            case "SUBTREE" -> Filter.SUBTREE;
            case "MAILBOXES" -> Filter.MAILBOXES;
            default -> throw new ProtocolException("Unknown NOTIFY mailbox filter " + f);
        };
        List<String> mailboxes = new ArrayList<>();
        if (filter == Filter.SUBTREE || filter == Filter.MAILBOXES) {
            args.sp();
            if (args.peek('(')) {
                args.listOpen();
                mailboxes.add(args.mailbox());
                while (args.skip(' ')) {
                    mailboxes.add(args.mailbox());
                }
                args.listClose();
            } else {
                mailboxes.add(args.mailbox());
            }
        }
        args.sp();
        Set<Event> events = EnumSet.noneOf(Event.class);
        List<FetchAttribute> fetch = List.of();
        Set<String> unsupportedHere = new LinkedHashSet<>();
        if (args.peek('(')) {
            args.listOpen();
            do {
                String name = args.atom();
                String up = name.toUpperCase(Locale.ROOT);
                Event e = Event.of(name);
                if (e == Event.MESSAGE_NEW && args.peek(' ')) {
                    // MessageNew's optional fetch attributes: SP "(" fetch-att *(SP fetch-att) ")"
                    args.sp();
                    if (args.peek('(')) {
                        fetch = List.copyOf(args.fetchAttributes());
                    } else {
                        events.add(e);
                        unsupportedHere.addAll(nextEvent(args, events));
                        continue;
                    }
                }
                if (e != null) {
                    events.add(e);
                } else {
                    unsupportedHere.add(up);
                }
            } while (args.skip(' '));
            args.listClose();
            if (events.isEmpty() && unsupportedHere.isEmpty()) {
                throw new ProtocolException("Expected an event");
            }
        } else {
            String none = args.atom();
            if (!none.equalsIgnoreCase("NONE")) {
                throw new ProtocolException("Expected a list of events or NONE");
            }
        }
        args.listClose();
        checkComposition(filter, events, unsupportedHere);
        if (!fetch.isEmpty() && filter != Filter.SELECTED && filter != Filter.SELECTED_DELAYED) {
            // 5.2: the attributes are for the selected mailbox's FETCH; elsewhere a STATUS tells of new
            // mail, so they mean nothing there (Dovecot answers BAD too)
            throw new ProtocolException("MessageNew's fetch attributes go with SELECTED or SELECTED-DELAYED only");
        }
        for (String u : unsupportedHere) {
            unsupported.add(u);
        }
        return new Group(filter, List.copyOf(mailboxes), Set.copyOf(events), fetch);
    }

    /**
     * After "MessageNew SP" that was not followed by fetch attributes: the atom read is the next
     * event of the list; returns it as unsupported if it is not one this server knows.
     */
    private static Set<String> nextEvent(ArgReader args, Set<Event> events) throws ProtocolException {
        String name = args.atom();
        Event e = Event.of(name);
        if (e != null) {
            events.add(e);
            return Set.of();
        }
        return Set.of(name.toUpperCase(Locale.ROOT));
    }

    /** RFC 5465 5 and 6.1: which events go together, and which go with SELECTED. */
    private static void checkComposition(Filter filter, Set<Event> events, Set<String> unsupported)
            throws ProtocolException {
        boolean newMsg = events.contains(Event.MESSAGE_NEW);
        boolean expunge = events.contains(Event.MESSAGE_EXPUNGE);
        if (newMsg != expunge) {
            throw new ProtocolException("MessageNew and MessageExpunge must be given together (RFC 5465 5)");
        }
        if ((events.contains(Event.FLAG_CHANGE) || unsupported.contains("ANNOTATIONCHANGE")) && !newMsg) {
            throw new ProtocolException("FlagChange and AnnotationChange need MessageNew and MessageExpunge (RFC 5465 5)");
        }
        if (filter == Filter.SELECTED || filter == Filter.SELECTED_DELAYED) {
            for (Event e : events) {
                if (!e.message) {
                    throw new ProtocolException(e.wire + " cannot be given with SELECTED (RFC 5465 6.1)");
                }
            }
        }
    }

    /** Whether an unsupported event name is one RFC 5465 defines (for the log line). */
    static boolean defined(String upper) {
        return KNOWN_UNSUPPORTED_MESSAGE.contains(upper);
    }
}
