package posthorn.imap.server.internal.command;

import java.util.Set;

/**
 * A command on the selected mailbox's messages that has a UID form (FETCH, STORE, SEARCH, SORT,
 * THREAD, COPY, MOVE): valid only with a mailbox selected; the plain form addresses messages by
 * sequence number, so no EXPUNGE may be sent while it runs, the UID form allows them (RFC 3501
 * 7.4.1). Subclasses that send EXPUNGE themselves (MOVE) say so.
 */
abstract class MessageCommand implements Command {
    protected final boolean uid;
    private final String name;

    MessageCommand(String base, boolean uid) {
        this.uid = uid;
        this.name = uid ? "UID " + base : base;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Set<State> states() {
        return SELECTED;
    }

    @Override
    public Sequences sequences() {
        return uid ? Sequences.NONE : Sequences.USES;
    }
}
