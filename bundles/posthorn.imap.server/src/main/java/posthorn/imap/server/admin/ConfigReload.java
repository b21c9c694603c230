package posthorn.imap.server.admin;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Reads every configuration file and the access rules again, now, rather than at the next look
 * (FileInstall looks at config/ every felix.fileinstall.poll milliseconds, the server at its rules
 * file every second). What SIGHUP ({@code svc -h}) and {@code imap:reload} do. Open sessions are never
 * touched; a file that is refused leaves what it configures as it was.
 */
@ProviderType
public interface ConfigReload {

    /** What became of one file. */
    enum Outcome {
        /** Read; the same as what is in force. */
        UNCHANGED,
        /** Read; what is in force now comes from it. */
        UPDATED,
        /** Read and refused (the detail says why); what was in force stays. */
        REFUSED,
        /** Left to FileInstall: a file it has not taken up yet, or one that is gone. */
        PENDING
    }

    /**
     * One file's outcome.
     *
     * @param file    the file, as a path
     * @param outcome what became of it
     * @param detail  one line: what changed, or why it was refused
     */
    record FileOutcome(String file, Outcome outcome, String detail) {
    }

    /** Reads every file now; one outcome per file: the configuration files in name order, then the rules. */
    List<FileOutcome> reload();
}
