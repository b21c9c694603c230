package posthorn.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

import posthorn.auth.support.crypt.CryptHash;
import posthorn.auth.support.hmac.HmacMd5State;

/**
 * {@code ./posthorn pw}: makes a userdb password field, as Courier's {@code userdbpw} does.
 * <pre>
 * pw [-sha512|-sha256|-md5|-bcrypt|-hmac-md5]
 * </pre>
 * {@code -sha512} (the default) gives {@code $6$}, {@code -sha256} {@code $5$}, {@code -md5}
 * {@code $1$} (what {@code userdbpw -md5} gives), {@code -bcrypt} {@code $2b$} (cost
 * {@value CryptHash#BCRYPT_COST}), {@code -hmac-md5} the hex HMAC-MD5 states for {@code hmac-md5pw}
 * (CRAM-MD5), the same as {@code userdbpw -hmac-md5}. On a terminal it asks for the password twice
 * without echo; otherwise it reads one line from standard input. The result goes to standard
 * output, ready for {@code ./posthorn userdb NAME set systempw}. The hashes are made by the same
 * code the backends check them with ({@link CryptHash}, {@link HmacMd5State}).
 */
public final class PwTool {

    private PwTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args, Boolean.getBoolean("posthorn.tty") ? System.console() : null,
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), System.out, System.err));
    }

    static int run(String[] args, Console console, BufferedReader in, PrintStream out, PrintStream err) {
        String scheme = args.length == 0 ? "-sha512" : args[0];
        if (args.length > 1 || !scheme.matches("-(sha512|sha256|md5|bcrypt|hmac-md5)")) {
            err.println("usage: ./posthorn pw [-sha512|-sha256|-md5|-bcrypt|-hmac-md5]   (default -sha512)");
            return 2;
        }
        byte[] password;
        try {
            password = read(console, in, err);
        } catch (IOException e) {
            err.println("pw: " + e.getMessage());
            return 1;
        }
        if (password == null) {
            return 1;
        }
        try {
            SecureRandom random = new SecureRandom();
            out.println(switch (scheme) {
                case "-sha256" -> CryptHash.sha256(password, random);
                case "-md5" -> CryptHash.md5(password, random);
                case "-bcrypt" -> CryptHash.bcrypt(password, random);
                case "-hmac-md5" -> HexFormat.of().formatHex(HmacMd5State.of(password));
                default -> CryptHash.sha512(password, random);
            });
            out.flush();
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("pw: " + e.getMessage());
            return 1;
        } finally {
            Arrays.fill(password, (byte) 0);
        }
    }

    /** The password as UTF-8, or null after telling why there is none. */
    private static byte[] read(Console console, BufferedReader in, PrintStream err) throws IOException {
        String pw;
        if (console != null) {
            char[] a = console.readPassword("Password: ");
            char[] b = a == null ? null : console.readPassword("Reenter password: ");
            if (a == null || b == null) {
                return null;
            }
            boolean same = Arrays.equals(a, b);
            pw = new String(a);
            Arrays.fill(a, '\0');
            Arrays.fill(b, '\0');
            if (!same) {
                err.println("pw: the passwords differ");
                return null;
            }
        } else {
            pw = in.readLine();
            if (pw == null) {
                err.println("pw: no password on standard input");
                return null;
            }
        }
        if (pw.isEmpty()) {
            err.println("pw: empty password");
            return null;
        }
        if (pw.indexOf('\0') >= 0) {
            err.println("pw: NUL in the password");
            return null;
        }
        return pw.getBytes(StandardCharsets.UTF_8);
    }
}
