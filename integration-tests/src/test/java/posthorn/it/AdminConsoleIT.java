package posthorn.it;

import javax.inject.Inject;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The console's {@code imap:} commands against a running server in a real framework, called as an
 * operator calls them: through Gogo's CommandProcessor, a command line in, the command's data out
 * (and Gogo's formatting of it, through the shell bundle's converter). The clients are raw sockets,
 * so that what a kicked client reads is seen byte for byte. The checks are in
 * {@link AdminConsoleChecks} (see there why).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AdminConsoleIT {
    static final String[] USERS = {"alice", "correct horse", "bob", "battery staple", "carol", "tr0ub4dor&3",
            "dave", "hunter2 hunter2", "erin", "kick me", "frank", "kick me"};

    private static ServerFixture server;

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() {
        return PosthornFramework.options();
    }

    @Before
    public void startServerAndConsole() throws Exception {
        synchronized (AdminConsoleIT.class) {
            if (server == null) {
                server = ServerFixture.start(context, configAdmin, USERS);
                // The tests fail logins on purpose; the brute-force delay would only slow them down.
                ServerFixture.update(configAdmin, "imapd", java.util.Map.of("bind", ServerFixture.HOST, "port", server.port,
                        "auth.delay.base", 0));
                server.deliver("alice", "1795000000.M1P1.posthorn-it", "Subject: one\r\n\r\nHello.\r\n");
                Bundle shell = context.installBundle(System.getProperty(PosthornFramework.IMAP_SHELL_LOCATION));
                shell.start();
                ServerFixture.await(context, "(&(osgi.command.scope=imap)(osgi.command.function=who))");
            }
        }
    }

    private AdminConsoleChecks checks() {
        return new AdminConsoleChecks(server, context, configAdmin);
    }

    @Test
    public void whoShowsEachSessionWithItsStateMailboxCountsAndIdle() throws Exception {
        checks().whoShowsEachSessionWithItsStateMailboxCountsAndIdle();
    }

    @Test
    public void kickEndsTheUsersSessionWithByeAndTheReasonOthersStay() throws Exception {
        checks().kickEndsTheUsersSessionWithByeAndTheReasonOthersStay();
    }

    @Test
    public void kickDuringALongAppendLosesNothing() throws Exception {
        checks().kickDuringALongAppendLosesNothing();
    }

    @Test
    public void backendsShowTheChainItsAnswersAndLatency() throws Exception {
        checks().backendsShowTheChainItsAnswersAndLatency();
    }

    @Test
    public void statsCountConnectionsLoginsCommandsAndBytes() throws Exception {
        checks().statsCountConnectionsLoginsCommandsAndBytes();
    }

    @Test
    public void authtestRunsTheChainAndNeverShowsThePassword() throws Exception {
        checks().authtestRunsTheChainAndNeverShowsThePassword();
    }

    @Test
    public void mailboxesShowsFoldersCountsAndUidValidity() throws Exception {
        checks().mailboxesShowsFoldersCountsAndUidValidity();
    }

    @Test
    public void logShowsAndChangesLevelsAtRunTime() throws Exception {
        checks().logShowsAndChangesLevelsAtRunTime();
    }
}
