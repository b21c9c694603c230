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
                new Expunge(), new Close(),
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
