package posthorn.auth.checkpassword.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import posthorn.auth.api.Secret;
import posthorn.auth.api.UserRecord;
import posthorn.auth.api.Verdict;

/**
 * One run of a checkpassword program (D. J. Bernstein's interface, cr.yp.to/checkpwd/interface.html):
 * the login, the password and a timestamp, each ended by a NUL, on descriptor 3, at most 512 bytes;
 * exit 0 after running the program named on its command line (as the user, in the user's home, with
 * {@code USER}, {@code HOME}, {@code SHELL} set), 1 for a bad password, 2 when misused, 111 for a
 * temporary problem; Dovecot's extension adds 3 for an unknown user.
 *
 * <p>Java starts a process with descriptors 0 to 2 only, so the program is started by {@code /bin/sh},
 * which moves the pipe on descriptor 0 to 3 and then replaces itself with the program. The password
 * travels only through that pipe: never in argv or the environment. The program run on success is
 * a one-line shell script that prints a marker and the account's name, home, uid and gid, so that a
 * success is the program's own word (a program that exits 0 without running it is reported as
 * broken, not taken as a login) and the user record comes from the account the program chose.
 */
final class CheckpasswordRun {

    /** The interface's limit on descriptor 3. */
    static final int MAX_INPUT = 512;
    static final int EXIT_BAD_PASSWORD = 1;
    static final int EXIT_MISUSE = 2;
    static final int EXIT_UNKNOWN_USER = 3;
    static final int EXIT_TEMPORARY = 111;
    static final String MARKER = "posthorn-checkpassword-ok";
    private static final int MAX_OUTPUT = 4096;
    private static final String FD3 = "exec 3<&0 </dev/null; exec \"$@\"";
    private static final String REPORT = "printf '%s\\n%s\\n%s\\n%s\\n' " + MARKER
            + " \"$USER\" \"$HOME\" \"$SHELL\"; id -u; id -g";

    private CheckpasswordRun() {
    }

    /** What a run gave: the verdict, and for the log a line about a failure of the program itself. */
    record Result(Verdict verdict, String problem) {
        static Result of(Verdict v) {
            return new Result(v, null);
        }

        static Result unavailable(String why) {
            return new Result(new Verdict.Unavailable(why), why);
        }
    }

    /** The command line Java starts: the descriptor-3 shell, the program, and the report script. */
    static List<String> command(CheckpasswordSettings s) {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", FD3, "checkpassword"));
        cmd.addAll(s.program());
        cmd.addAll(List.of("/bin/sh", "-c", REPORT));
        return cmd;
    }

    static Result run(CheckpasswordSettings s, Duration timeout, String login, Secret password) {
        byte[] user = login.getBytes(StandardCharsets.UTF_8);
        byte[] pass = password.utf8();
        try {
            if (login.isEmpty() || indexOfNul(user) >= 0) {
                return Result.of(Verdict.NO_SUCH_USER);
            }
            if (indexOfNul(pass) >= 0) {
                return Result.of(new Verdict.WrongPassword("password contains NUL"));
            }
            // login NUL password NUL timestamp NUL; the timestamp is for APOP-style programs and may be empty
            if (user.length + pass.length + 3 > MAX_INPUT) {
                return Result.of(new Verdict.WrongPassword("login and password longer than checkpassword's 512 bytes"));
            }
            return start(s, timeout, login, user, pass);
        } finally {
            java.util.Arrays.fill(pass, (byte) 0);
        }
    }

    private static Result start(CheckpasswordSettings s, Duration timeout, String login, byte[] user, byte[] pass) {
        ProcessBuilder pb = new ProcessBuilder(command(s));
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(s.env());
        pb.directory(Path.of("/").toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return Result.unavailable("cannot start " + s.program().get(0) + ": " + e.getMessage());
        }
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        CompletableFuture<byte[]> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            byte[] data = new byte[user.length + pass.length + 3];
            System.arraycopy(user, 0, data, 0, user.length);
            System.arraycopy(pass, 0, data, user.length + 1, pass.length);
            in.write(data);
            in.flush();
            java.util.Arrays.fill(data, (byte) 0);
        } catch (IOException e) {
            // the program closed descriptor 3 without reading it all: its exit status says why
        }
        boolean done;
        try {
            done = p.waitFor(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            return Result.unavailable("interrupted");
        }
        if (!done) {
            kill(p);
            return Result.unavailable(s.program().get(0) + " did not answer within " + s.timeout().toMillis()
                    + " ms (timeout); killed");
        }
        int status = p.exitValue();
        String stderr = firstLine(collected(err), pass);
        return switch (status) {
            case 0 -> success(login, collected(out), s);
            case EXIT_BAD_PASSWORD -> Result.of(new Verdict.WrongPassword("rejected by " + s.program().get(0)));
            case EXIT_UNKNOWN_USER -> Result.of(Verdict.NO_SUCH_USER);
            case EXIT_MISUSE -> Result.unavailable(s.program().get(0) + " says it was misused (exit 2)" + stderr);
            case EXIT_TEMPORARY -> Result.unavailable(s.program().get(0) + " had a temporary problem (exit 111)"
                    + stderr);
            default -> Result.unavailable(s.program().get(0) + " exited " + status + stderr);
        };
    }

    private static Result success(String login, byte[] stdout, CheckpasswordSettings s) {
        String text = new String(stdout, StandardCharsets.UTF_8);
        int at = text.lastIndexOf(MARKER + "\n");
        if (at < 0) {
            return Result.unavailable(s.program().get(0)
                    + " exited 0 without running the program it was given (not a checkpassword program?)");
        }
        String[] f = text.substring(at).split("\n", -1);
        if (f.length < 7) {
            return Result.unavailable("the account report after " + s.program().get(0) + " was cut short");
        }
        String name = f[1];
        String home = f[2];
        String shell = f[3];
        long uid;
        long gid;
        try {
            uid = Long.parseLong(f[4].trim());
            gid = Long.parseLong(f[5].trim());
        } catch (NumberFormatException e) {
            return Result.unavailable("the account report after " + s.program().get(0) + " has no uid/gid");
        }
        if (uid < s.minUid()) {
            return Result.of(new Verdict.WrongPassword("account uid " + uid + " is below min.uid " + s.minUid()));
        }
        Map<String, String> options = new HashMap<>();
        if (!name.isEmpty() && !name.equals(login)) {
            options.put("system.user", name);
        }
        if (!shell.isEmpty()) {
            options.put("shell", shell);
        }
        Path homeDir = home.isEmpty() || !home.startsWith("/") ? null : Path.of(home);
        if (homeDir == null) {
            return Result.unavailable(s.program().get(0) + " accepted " + login + " but gave no home directory");
        }
        // maildir null: the store's template (%h/Maildir by default) applies, as for the passwd backend
        return Result.of(new Verdict.Success(new UserRecord(login, homeDir, null, uid, gid, null, options)));
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread.ofVirtual().name("checkpassword-output").start(() -> {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] b = new byte[1024];
            try (in) {
                int n;
                while ((n = in.read(b)) >= 0) {
                    if (buf.size() < MAX_OUTPUT) {
                        buf.write(b, 0, Math.min(n, MAX_OUTPUT - buf.size()));
                    }
                }
            } catch (IOException e) {
                // the process was killed or closed the stream: what was read is what there is
            }
            f.complete(buf.toByteArray());
        });
        return f;
    }

    /**
     * What a stream gave once the program exited; a child it left behind holding the stream open
     * does not hold up the login beyond a second.
     */
    private static byte[] collected(CompletableFuture<byte[]> f) {
        try {
            return f.get(1, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            return new byte[0];
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new byte[0];
        }
    }

    /** The first line the program wrote on stderr, for the log: short, and never the password. */
    private static String firstLine(byte[] stderr, byte[] password) {
        String s = new String(stderr, StandardCharsets.UTF_8).strip();
        if (s.isEmpty()) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        String pw = new String(password, StandardCharsets.UTF_8);
        if (!pw.isEmpty()) {
            line = line.replace(pw, "***");
        }
        line = line.replaceAll("[\\p{Cntrl}]", "?");
        return ": " + (line.length() > 200 ? line.substring(0, 200) + "..." : line);
    }

    /** Kills the program and what it started, and waits (a second at most) until it is gone and reaped. */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int indexOfNul(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
