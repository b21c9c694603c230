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
 * With {@code fts} it also loads Debian's dovecot-fts-xapian plugin as its README configures it
 * (fts = xapian, fts_autoindex, fts_enforced: a search answers from the index, built or brought
 * up to date by the indexer first, never by falling back to reading every message).
 */
final class DovecotServer extends Server {

    /** The Debian package that provides the fts-xapian plugin, and its module. */
    static final String FTS_PACKAGE = "dovecot-fts-xapian";
    static final Path FTS_MODULE = Path.of("/usr/lib/dovecot/modules/lib21_fts_xapian_plugin.so");

    private final String hash;
    private final int maxSessions;
    final boolean fts;
    private int port;

    /** {@code maxSessions}: the process and client limits are set so that memory, not they, ends an IDLE ramp. */
    DovecotServer(Path dir, String password, String hash, int maxSessions, boolean fts) {
        super(fts ? Results.DOVECOT_FTS : "Dovecot", dir, password);
        this.hash = hash;
        this.maxSessions = Math.max(20_000, maxSessions + 1000);
        this.fts = fts;
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
            mail_max_userip_connections = %5$d
            default_process_limit = %5$d
            default_client_limit = %6$d
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
              process_limit = %5$d
            }
            service anvil {
              chroot =
            }
            """.formatted(dir, user, port, cores, maxSessions, 2 * maxSessions + 1000);
        if (fts) {
            conf += """
                mail_plugins = $mail_plugins fts fts_xapian
                plugin {
                  fts = xapian
                  fts_xapian = partial=3 full=20 verbose=0
                  fts_autoindex = yes
                  fts_enforced = yes
                }
                service indexer-worker {
                  vsz_limit = 2G
                }
                """;
        }
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
        String v = "Dovecot " + run("dovecot", "--version");
        return fts ? v + " with " + FTS_PACKAGE + " " + run("dpkg-query", "-W", "-f=${Version}", FTS_PACKAGE) : v;
    }
}
