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
                new Select(false), new Select(true), new posthorn.imap.server.internal.command.List(false),
                new posthorn.imap.server.internal.command.List(true),
                new Fetch(false), new Fetch(true), new Store(false), new Store(true),
                new Expunge(false), new Close(),
                new Create(), new Delete(), new Rename(), new Subscribe(true), new Subscribe(false),
                new Status(), new Namespace(), new Append(),
                new Copy(false), new Move(false), new Copy(true), new Move(true), new Expunge(true),
                new Idle(),
                new StartTls(),
                new Enable(),
                new Id(),
                new Unselect(),
                new Search(false), new Search(true),
                new Sort(false), new Sort(true), new Thread(false), new Thread(true))) {
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
