package posthorn.imap.server.internal.command;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every command the server knows, by name as the client writes it in upper case ("UID FETCH" for the
 * UID forms).
 */
public final class CommandTable {
    private static final Map<String, Command> COMMANDS = new HashMap<>();

    static {
        for (Command c : List.of(
                new Capability(), new Noop("NOOP"), new Noop("CHECK"), new Logout(),
                new Login(), new Authenticate(),
                new Select(false), new Select(true), new ListCommand(false), new ListCommand(true),
                new Fetch(false), new Fetch(true), new Store(false), new Store(true),
                new Expunge(false), new Close(),
                new Mailboxes(Mailboxes.Op.CREATE), new Mailboxes(Mailboxes.Op.DELETE),
                new Mailboxes(Mailboxes.Op.RENAME), new Mailboxes(Mailboxes.Op.SUBSCRIBE),
                new Mailboxes(Mailboxes.Op.UNSUBSCRIBE), new StatusCommand(), new Namespace(), new Append(),
                new CopyMove(false, false), new CopyMove(false, true), new CopyMove(true, false),
                new CopyMove(true, true), new Expunge(true),
                new Idle(),
                new StartTls(),
                new Enable(),
                new Id(),
                new Unselect(),
                new Search(false), new Search(true),
                new Sort(false, false), new Sort(false, true), new Sort(true, false), new Sort(true, true))) {
            COMMANDS.put(c.name(), c);
        }
    }

    private CommandTable() {
    }

    /** The command of that name (upper case), or null. */
    public static Command get(String name) {
        return COMMANDS.get(name);
    }
}
