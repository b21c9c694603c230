package posthorn.imap.server.internal.command;

import static posthorn.imap.server.internal.command.CommandTable.Sequences.BREAKS;
import static posthorn.imap.server.internal.command.CommandTable.Sequences.NONE;
import static posthorn.imap.server.internal.command.CommandTable.Sequences.USES;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.server.internal.state.SessionState;
import posthorn.store.api.StoreException;

/**
 * The one place a command is declared: its name as the client writes it ("UID FETCH" for the UID
 * forms), the state it is valid in, how it treats message sequence numbers, the capability it brings,
 * and the object that runs it. Adding a command is one class and one row. The capabilities the
 * server announces ({@link Capabilities}) are read from here: those of the rows, and
 * {@code extension(...)} lines for what comes with no command of its own (syntax, response codes,
 * options of other commands), all in the order of the CAPABILITY response, which clients and tests
 * have seen byte for byte; a new capability goes at the end.
 */
public final class CommandTable {

    /** How a command relates to message sequence numbers (RFC 3501 7.4.1, 5.5). */
    public enum Sequences {
        /** Does not address messages by number: pending EXPUNGEs are sent when it completes. */
        NONE,
        /** Addresses messages by sequence number: no EXPUNGE may be sent while it runs. */
        USES,
        /**
         * Removes messages itself (EXPUNGE, MOVE, CLOSE), so numbers a client holds change: as for
         * NONE, EXPUNGEs are sent when it completes; a client must not pipeline it with a USES command.
         */
        BREAKS
    }

    /** A line of the table: a command, or a capability that comes with none. */
    sealed interface Entry {
        /** The capabilities the line brings to the CAPABILITY response. */
        Stream<String> announced();
    }

    /**
     * One command.
     *
     * @param state the state type the command is valid in; the command is handed the state as that type
     * @param capabilities what announcing the command takes, in order; empty for a base command
     */
    public record Row<S extends SessionState>(String name, Class<S> state, Sequences sequences,
                                               java.util.List<String> capabilities, Command<? super S> command)
            implements Entry {
        public boolean validIn(SessionState current) {
            return state.isInstance(current);
        }

        /** Runs the command in {@code current}, which {@link #validIn} must have accepted. */
        public void execute(CommandContext ctx, SessionState current, String tag, ArgReader args)
                throws ProtocolException, StoreException, IOException {
            command.execute(ctx, state.cast(current), tag, args);
        }

        @Override
        public Stream<String> announced() {
            return capabilities.stream();
        }
    }

    /** A capability no command brings. */
    private record Extension(String capability) implements Entry {
        @Override
        public Stream<String> announced() {
            return Stream.of(capability);
        }
    }

    private static final Class<SessionState> ANY = SessionState.class;
    private static final Class<SessionState.NotAuthenticated> NOT_AUTHENTICATED = SessionState.NotAuthenticated.class;
    /** RFC 3501's authenticated state: with or without a mailbox selected. */
    private static final Class<SessionState.LoggedIn> AUTHENTICATED = SessionState.LoggedIn.class;
    /** Only without a mailbox selected (ENABLE, RFC 5161 3.1). */
    private static final Class<SessionState.Authenticated> UNSELECTED = SessionState.Authenticated.class;
    private static final Class<SessionState.Selected> SELECTED = SessionState.Selected.class;

    private static final String THREAD = "THREAD=ORDEREDSUBJECT THREAD=REFERENCES";
    private static final String ACL = AclCommand.CAPABILITIES;
    private static final String METADATA = MetadataCommands.CAPABILITIES;

    private static final java.util.List<Entry> TABLE = java.util.List.of(
            // name                  valid in           sequences capability  command
            // RFC 3501: any state (6.1)
            row("CAPABILITY",        ANY,               NONE,   null,         new Capability()),
            row("NOOP",              ANY,               NONE,   null,         new Noop()),
            row("LOGOUT",            ANY,               NONE,   null,         new Logout()),
            // not authenticated (6.2); STARTTLS and AUTH=... are announced by the session as they apply
            row("STARTTLS",          NOT_AUTHENTICATED, NONE,   null,         new StartTls()),
            row("AUTHENTICATE",      NOT_AUTHENTICATED, NONE,   null,         new Authenticate()),
            row("LOGIN",             NOT_AUTHENTICATED, NONE,   null,         new Login()),
            // authenticated (6.3)
            row("SELECT",            AUTHENTICATED,     NONE,   null,         new Select(false)),
            row("EXAMINE",           AUTHENTICATED,     NONE,   null,         new Select(true)),
            row("CREATE",            AUTHENTICATED,     NONE,   null,         new Create()),
            row("DELETE",            AUTHENTICATED,     NONE,   null,         new Delete()),
            row("RENAME",            AUTHENTICATED,     NONE,   null,         new Rename()),
            row("SUBSCRIBE",         AUTHENTICATED,     NONE,   null,         new Subscribe(true)),
            row("UNSUBSCRIBE",       AUTHENTICATED,     NONE,   null,         new Subscribe(false)),
            row("LIST",              AUTHENTICATED,     NONE,   null,         new List(false)),
            row("LSUB",              AUTHENTICATED,     NONE,   null,         new List(true)),
            row("STATUS",            AUTHENTICATED,     NONE,   null,         new Status()),
            row("APPEND",            AUTHENTICATED,     NONE,   null,         new Append()),
            // selected (6.4); the UID forms (6.4.8) address messages by UID, not number
            row("CHECK",             SELECTED,          NONE,   null,         new Noop()),
            row("CLOSE",             SELECTED,          BREAKS, null,         new Close()),
            row("EXPUNGE",           SELECTED,          BREAKS, null,         new Expunge(false)),
            row("SEARCH",            SELECTED,          USES,   null,         new Search(false)),
            row("FETCH",             SELECTED,          USES,   null,         new Fetch(false)),
            row("STORE",             SELECTED,          USES,   null,         new Store(false)),
            row("COPY",              SELECTED,          USES,   null,         new Copy(false)),
            row("UID SEARCH",        SELECTED,          NONE,   null,         new Search(true)),
            row("UID FETCH",         SELECTED,          NONE,   null,         new Fetch(true)),
            row("UID STORE",         SELECTED,          NONE,   null,         new Store(true)),
            row("UID COPY",          SELECTED,          NONE,   null,         new Copy(true)),
            // extensions, in the order their capabilities are announced
            extension("IMAP4rev2"),  // RFC 9051, beside IMAP4rev1 (appendix E); a client ENABLEs it
            extension("LITERAL+"),   // RFC 7888; covers LITERAL-, and section 5 forbids announcing both
            extension("SASL-IR"),    // RFC 4959: AUTHENTICATE's initial response
            row("ID",                ANY,               NONE,   "ID",         new Id()),
            row("ENABLE",            UNSELECTED,        NONE,   "ENABLE",     new Enable()),
            row("IDLE",              AUTHENTICATED,     NONE,   "IDLE",       new Idle()),
            row("UNSELECT",          SELECTED,          NONE,   "UNSELECT",   new Unselect()),
            row("UID EXPUNGE",       SELECTED,          BREAKS, "UIDPLUS",    new Expunge(true)),
            row("MOVE",              SELECTED,          BREAKS, "MOVE",       new Move(false)),
            row("UID MOVE",          SELECTED,          BREAKS, "MOVE",       new Move(true)),
            extension("CHILDREN"),   // RFC 3348: LIST attributes
            row("NAMESPACE",         AUTHENTICATED,     NONE,   "NAMESPACE",  new Namespace()),
            extension("MULTIAPPEND"),   // RFC 3502: APPEND of several messages
            extension("LIST-EXTENDED"), // RFC 5258
            extension("LIST-STATUS"),   // RFC 5819
            extension("SPECIAL-USE"),   // RFC 6154
            extension("STATUS=SIZE"),   // RFC 8438
            extension("ESEARCH"),       // RFC 4731: SEARCH RETURN
            row("SORT",              SELECTED,          USES,   "SORT",       new Sort(false)),
            row("UID SORT",          SELECTED,          NONE,   "SORT",       new Sort(true)),
            row("THREAD",            SELECTED,          USES,   THREAD,       new Thread(false)),
            row("UID THREAD",        SELECTED,          NONE,   THREAD,       new Thread(true)),
            extension("BINARY"),     // RFC 3516: FETCH BINARY
            extension("SEARCHRES"),  // RFC 5182: SEARCH RETURN (SAVE) and "$"
            // SEARCH and SORT extensions; none needs a store part
            extension("ESORT"),          // RFC 5267 3: SORT RETURN (...) answered with ESEARCH
            // RFC 5267 4: RETURN (PARTIAL/UPDATE), ADDTO/REMOVEFROM, CANCELUPDATE; CONTEXT=SORT for SORT
            row("CANCELUPDATE",      SELECTED,          NONE,   "CONTEXT=SEARCH CONTEXT=SORT", new CancelUpdate()),
            extension("SORT=DISPLAY"),   // RFC 5957: DISPLAYFROM, DISPLAYTO
            extension("WITHIN"),         // RFC 5032: OLDER, YOUNGER
            extension("THREAD=REFS"),    // Dovecot's REFS (draft-ietf-morg-inthread)
            extension("I18NLEVEL=1"),    // RFC 5255: i;unicode-casemap for SEARCH and SORT
            extension("PARTIAL"),        // RFC 9394: SEARCH RETURN (PARTIAL -1:-100)
            // RFC 9208 QUOTA: announced with its resources by QuotaCommands.capabilities, only while
            // the bound store keeps quotas, so these rows bring no capability of their own
            row("GETQUOTAROOT",      AUTHENTICATED,     NONE,   null,         new QuotaCommands.GetQuotaRoot()),
            row("GETQUOTA",          AUTHENTICATED,     NONE,   null,         new QuotaCommands.GetQuota()),
            row("SETQUOTA",          AUTHENTICATED,     NONE,   null,         new QuotaCommands.SetQuota()),
            // RFC 4314; announced only while the bound store keeps ACLs (Capabilities.STORE_PARTS)
            row("SETACL",            AUTHENTICATED,     NONE,   ACL,          new AclCommand(AclCommand.Kind.SETACL)),
            row("DELETEACL",         AUTHENTICATED,     NONE,   ACL,          new AclCommand(AclCommand.Kind.DELETEACL)),
            row("GETACL",            AUTHENTICATED,     NONE,   ACL,          new AclCommand(AclCommand.Kind.GETACL)),
            row("LISTRIGHTS",        AUTHENTICATED,     NONE,   ACL,          new AclCommand(AclCommand.Kind.LISTRIGHTS)),
            row("MYRIGHTS",          AUTHENTICATED,     NONE,   ACL,          new AclCommand(AclCommand.Kind.MYRIGHTS)),
            // RFC 5465 NOTIFY; announced only while the bound store watches mail (Capabilities.STORE_PARTS)
            row("NOTIFY",            AUTHENTICATED,     NONE,   "NOTIFY",     new Notify()),
            extension("INPROGRESS"),  // RFC 9585: progress of long commands in untagged OK
            // IMAP URLs of the server's own mail (MessageUrls): RFC 4469 CATENATE (APPEND's syntax, in
            // AppendMessage), RFC 5550 URL-PARTIAL (;PARTIAL= in every URL taken)
            extension("CATENATE"),
            extension("URL-PARTIAL"),
            // RFC 4467 URLAUTH; its keys are the server's (urlauth.UrlAuthKeys), so no store part is needed
            row("GENURLAUTH",        AUTHENTICATED,     NONE,   "URLAUTH",    new UrlAuth.Generate()),
            row("RESETKEY",          AUTHENTICATED,     NONE,   "URLAUTH",    new UrlAuth.ResetKey()),
            row("URLFETCH",          AUTHENTICATED,     NONE,   "URLAUTH",    new UrlAuth.Fetch()),
            // RFC 5464 METADATA, RFC 6154 CREATE-SPECIAL-USE, RFC 8474 OBJECTID, RFC 8514 SAVEDATE,
            // RFC 8970 PREVIEW; each needing a store part is announced only with it (Capabilities.STORE_PARTS)
            row("GETMETADATA",       AUTHENTICATED,     NONE,   METADATA,     new MetadataCommands.GetMetadata()),
            row("SETMETADATA",       AUTHENTICATED,     NONE,   METADATA,     new MetadataCommands.SetMetadata()),
            extension("CREATE-SPECIAL-USE"), // RFC 6154 3: CREATE name (USE (...))
            extension("OBJECTID"),           // RFC 8474: MAILBOXID, EMAILID, THREADID (NIL)
            extension("SAVEDATE"),           // RFC 8514: FETCH SAVEDATE, SEARCH SAVED*
            extension("PREVIEW"),            // RFC 8970: FETCH PREVIEW
            // RFC 7162: options of SELECT, FETCH, STORE, SEARCH, STATUS and ENABLE; announced only while
            // the bound store keeps MODSEQs (Capabilities.STORE_PARTS)
            extension("CONDSTORE"),
            extension("QRESYNC"),
            // the wire extensions (issue 15): RFC 4978 COMPRESS, after login as Dovecot offers it
            row("COMPRESS",          AUTHENTICATED,     NONE,   "COMPRESS=DEFLATE", new Compress()),
            // RFC 6855: ENABLE UTF8=ACCEPT (Capabilities.ENABLEABLE): UTF-8 mailbox names, APPEND UTF8
            extension("UTF8=ACCEPT"),
            // RFC 7889: APPENDLIMIT=n, n from imapd.cfg (Capabilities.configured); STATUS APPENDLIMIT
            extension("APPENDLIMIT"),
            // RFC 8508: APPEND and expunge of the replaced message as one command
            row("REPLACE",           SELECTED,          BREAKS, "REPLACE",    new Replace(false)),
            row("UID REPLACE",       SELECTED,          BREAKS, "REPLACE",    new Replace(true)),
            // RFC 9586: ENABLE UIDONLY (Capabilities.ENABLEABLE): UIDFETCH and VANISHED, no sequence numbers
            extension("UIDONLY"));

    private static final Map<String, Row<?>> BY_NAME = TABLE.stream()
            .filter(e -> e instanceof Row<?>)
            .map(e -> (Row<?>) e)
            .collect(Collectors.toUnmodifiableMap(Row::name, Function.identity()));

    private CommandTable() {
    }

    /**
     * @param capability null, or the capabilities the command brings, space-separated
     */
    private static <S extends SessionState> Row<S> row(String name, Class<S> state, Sequences sequences,
                                                        String capability, Command<? super S> command) {
        java.util.List<String> caps = capability == null ? java.util.List.of() : Arrays.asList(capability.split(" "));
        return new Row<>(name, state, sequences, java.util.List.copyOf(caps), command);
    }

    private static Entry extension(String capability) {
        return new Extension(capability);
    }

    /** The command of that name (upper case), or null. */
    public static Row<?> get(String name) {
        return BY_NAME.get(name);
    }

    /** Every command, in table order. */
    public static java.util.List<Row<?>> rows() {
        return TABLE.stream().filter(e -> e instanceof Row<?>).<Row<?>>map(e -> (Row<?>) e).toList();
    }

    /** The capabilities announced in every state after IMAP4rev1, in order, each once. */
    static java.util.List<String> capabilities() {
        Set<String> all = new LinkedHashSet<>();
        TABLE.forEach(e -> e.announced().forEach(all::add));
        return java.util.List.copyOf(all);
    }
}
