package posthorn.bench;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Dovecot from the Debian package, run unprivileged as the bench user with its own config file
 * ({@code dovecot -F -c FILE}): base_dir, state_dir and logs in its folder, a passwd-file for
 * users and passwords, Maildir++ layout with Courier's "INBOX." namespace (Dovecot's documented
 * Courier migration settings), limits raised for 10,000 sessions, login processes in
 * high-performance mode (service_count = 0) as Dovecot's documentation advises for many users.
 */
final class DovecotServer extends Server {

    private final String hash;
    private int port;

    DovecotServer(Path dir, String password, String hash) {
        super("Dovecot", dir, password);
        this.hash = hash;
    }

    @Override
    void start(List<String> users) throws Exception {
        long[] ids = ids();
        String user = System.getProperty("user.name");
        port = freePort();
        for (String d : new String[] {"run", "state", "log"}) {
            Files.createDirectories(dir.resolve(d));
        }
        StringBuilder passwd = new StringBuilder();
        for (String u : users) {
            passwd.append(u).append(":{SHA512-CRYPT}").append(hash).append(':').append(ids[0]).append(':')
                .append(ids[1]).append("::").append(home(u)).append("::\n");
        }
        Files.writeString(dir.resolve("passwd"), passwd);
        int cores = Runtime.getRuntime().availableProcessors();
        String conf = """
            # Written by ./posthorn bench; nothing here touches the system's Dovecot.
            base_dir = %1$s/run
            state_dir = %1$s/state
            log_path = %1$s/log/dovecot.log
            info_log_path = %1$s/log/dovecot.log
            protocols = imap
            listen = 127.0.0.1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            default_internal_user = %2$s
            default_internal_group = %2$s
            default_login_user = %2$s
            first_valid_uid = 1
            first_valid_gid = 1
            mail_location = maildir:~/Maildir
            namespace inbox {
              inbox = yes
              separator = .
              prefix = INBOX.
            }
            mail_max_userip_connections = 100000
            default_process_limit = 20000
            default_client_limit = 40000
            default_vsz_limit = 2G
            passdb {
              driver = passwd-file
              args = %1$s/passwd
            }
            userdb {
              driver = passwd-file
              args = %1$s/passwd
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = %3$d
              }
              inet_listener imaps {
                port = 0
              }
              chroot =
              service_count = 0
              process_min_avail = %4$d
            }
            service imap {
              process_limit = 20000
            }
            service anvil {
              chroot =
            }
            """.formatted(dir, user, port, cores);
        Files.writeString(dir.resolve("dovecot.conf"), conf);
        Path log = dir.resolve("log/stderr.log");
        Process p = new ProcessBuilder("dovecot", "-F", "-c", dir.resolve("dovecot.conf").toString())
            .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        processes.add(p);
        awaitGreeting(address(null), p, dir.resolve("log/dovecot.log"));
    }

    @Override
    InetSocketAddress address(String user) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    String version() {
        return "Dovecot " + run("dovecot", "--version");
    }
}
