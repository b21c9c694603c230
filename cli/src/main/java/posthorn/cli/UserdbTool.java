package posthorn.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./posthorn userdb}: edits a userdb file as Courier's {@code userdb(8)} does, in the same
 * file format, so the two tools can take turns on one file.
 * <pre>
 * userdb [-f FILE] NAME set field=value|field ...   (a bare field's value is read from stdin)
 * userdb [-f FILE] NAME unset field ...
 * userdb [-f FILE] NAME del
 * userdb [-f FILE] NAME show      fields one a line, as "userdb -show -f FILE NAME"
 * userdb [-f FILE] list           names, as "userdb -show -f FILE"
 * </pre>
 * Like Courier's tool it writes {@code .tmp.FILE} beside the file and renames it over, keeps the
 * file's mode (new files 0600), and takes a lock on {@code .lock.FILE}. Courier locks with flock(2)
 * and Java with fcntl(2), which Linux keeps apart: do not run both tools on one file at the same
 * moment. Posthorn reads the text file itself; Courier's own authdaemon also needs
 * {@code makeuserdb} afterwards.
 *
 * <p>The file is {@code -f FILE}, else the {@code file} of {@code $POSTHORN_CONF/auth.userdb.cfg}
 * (with {@code $[env:NAME]} expanded), else {@code $POSTHORN_VAR/userdb}.
 */
public final class UserdbTool {

    private final PrintStream out;
    private final PrintStream err;
    private final BufferedReader in;
    private final boolean tty;
    private final Map<String, String> env;

    UserdbTool(PrintStream out, PrintStream err, BufferedReader in, boolean tty, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.tty = tty;
        this.env = env;
    }

    public static void main(String[] args) {
        UserdbTool tool = new UserdbTool(System.out, System.err,
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                Boolean.getBoolean("posthorn.tty"), System.getenv());
        System.exit(tool.run(args));
    }

    /** Runs one command; returns the exit status. */
    int run(String[] argv) {
        List<String> args = new ArrayList<>(List.of(argv));
        if (!args.isEmpty() && args.get(0).equals("-show")) {
            // Courier's spelling: -show [-f FILE] [NAME]
            List<String> c = new ArrayList<>(args.subList(1, args.size()));
            List<String> f = c.size() >= 2 && c.get(0).equals("-f") ? List.of("-f", c.get(1)) : List.of();
            List<String> name = c.subList(f.size(), c.size());
            args = new ArrayList<>(f);
            if (name.isEmpty()) {
                args.add("list");
            } else {
                args.add(name.get(0));
                args.add("show");
            }
        }
        Path file = null;
        if (args.size() >= 2 && args.get(0).equals("-f")) {
            file = Path.of(args.get(1));
            args = args.subList(2, args.size());
        }
        if (args.isEmpty() || args.get(0).equals("-h") || args.get(0).equals("--help")) {
            return usage();
        }
        try {
            if (file == null) {
                file = defaultFile();
            }
            if (args.get(0).equals("list")) {
                names(file).forEach(out::println);
                return 0;
            }
            if (args.size() < 2) {
                return usage();
            }
            String name = args.get(0);
            String verb = args.get(1);
            List<String> rest = args.subList(2, args.size());
            return switch (verb) {
                case "set" -> set(file, name, rest);
                case "unset" -> rest.isEmpty() ? usage() : edit(file, name, t -> UserdbEdit.unset(t, name, rest));
                case "del" -> rest.isEmpty() ? edit(file, name, t -> UserdbEdit.delete(t, name)) : usage();
                case "show" -> show(file, name);
                default -> usage();
            };
        } catch (IllegalArgumentException e) {
            err.println("userdb: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("userdb: " + file + ": " + e);
            return 1;
        }
    }

    private int usage() {
        err.println("usage: ./posthorn userdb [-f FILE] NAME set field=value|field ...");
        err.println("       ./posthorn userdb [-f FILE] NAME unset field ...");
        err.println("       ./posthorn userdb [-f FILE] NAME del");
        err.println("       ./posthorn userdb [-f FILE] NAME show");
        err.println("       ./posthorn userdb [-f FILE] list");
        err.println("A bare field's value is read from standard input: ./posthorn pw | ./posthorn userdb alice set systempw");
        return 2;
    }

    private int set(Path file, String name, List<String> fields) throws IOException {
        if (fields.isEmpty()) {
            return usage();
        }
        List<String> assignments = new ArrayList<>();
        for (String f : fields) {
            if (f.indexOf('=') >= 0) {
                assignments.add(f);
                continue;
            }
            // userdb(8): "name.field: " on a terminal, then one line from standard input
            if (tty) {
                err.print(name + "." + f + ": ");
                err.flush();
            }
            String value = in.readLine();
            if (value == null) {
                err.println("userdb: no value for " + f + " on standard input");
                return 1;
            }
            UserdbEdit.check(value, false);
            assignments.add(f + "=" + value);
        }
        return edit(file, name, t -> UserdbEdit.set(t, name, assignments));
    }

    private int show(Path file, String name) throws IOException {
        List<String> fields = UserdbEdit.show(read(file), name);
        if (fields == null) {
            err.println("userdb: " + name + " not found in " + file);
            return 1;
        }
        fields.forEach(out::println);
        return 0;
    }

    private List<String> names(Path file) throws IOException {
        return UserdbEdit.names(read(file));
    }

    private static String read(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        }
    }

    private interface Change {
        /** The new text, or null if nothing changes. */
        String apply(String text);
    }

    /** Read, change, write .tmp.FILE with the old mode, rename over, all under .lock.FILE. */
    private int edit(Path file, String name, Change change) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.isSymbolicLink(abs)) {
            throw new IOException("is a symbolic link (Courier's userdb refuses those too)");
        }
        Path dir = abs.getParent();
        Path lock = dir.resolve(".lock." + abs.getFileName());
        Path tmp = dir.resolve(".tmp." + abs.getFileName());
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        Set<PosixFilePermission> privateMode = PosixFilePermissions.fromString("rw-------");
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock l = ch.lock()) {
            if (Files.exists(abs) && !Files.isRegularFile(abs)) {
                throw new IOException("not a file");
            }
            String text = read(abs);
            String changed = change.apply(text);
            if (changed == null) {
                err.println("userdb: " + name + " not found in " + file);
                return 1;
            }
            Files.deleteIfExists(tmp);
            if (posix) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(privateMode));
                Files.setPosixFilePermissions(tmp, Files.exists(abs) ? Files.getPosixFilePermissions(abs) : privateMode);
            }
            Files.writeString(tmp, changed, StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return 0;
        }
    }

    private static final Pattern ENV = Pattern.compile("\\$\\[env:([A-Za-z0-9_]+)\\]");

    /** {@code file} of auth.userdb.cfg, else $POSTHORN_VAR/userdb. */
    Path defaultFile() throws IOException {
        String conf = env.get("POSTHORN_CONF");
        if (conf != null) {
            Path cfg = Path.of(conf, "auth.userdb.cfg");
            if (Files.isRegularFile(cfg)) {
                Properties p = new Properties();
                try (var r = Files.newBufferedReader(cfg, StandardCharsets.UTF_8)) {
                    p.load(r);
                }
                String f = p.getProperty("file");
                if (f != null && !f.isBlank()) {
                    Matcher m = ENV.matcher(f.trim());
                    StringBuilder b = new StringBuilder();
                    while (m.find()) {
                        String v = env.get(m.group(1));
                        if (v == null) {
                            throw new IllegalArgumentException(cfg + ": file names $[env:" + m.group(1)
                                    + "], which is not set; use -f FILE");
                        }
                        m.appendReplacement(b, Matcher.quoteReplacement(v));
                    }
                    m.appendTail(b);
                    return Path.of(b.toString());
                }
            }
        }
        String var = env.getOrDefault("POSTHORN_VAR", "var");
        return Path.of(var, "userdb");
    }
}
