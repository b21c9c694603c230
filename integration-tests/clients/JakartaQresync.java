import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Session;
import jakarta.mail.event.MailEvent;
import jakarta.mail.event.MessageChangedEvent;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.eclipse.angus.mail.imap.MessageVanishedEvent;
import org.eclipse.angus.mail.imap.ResyncData;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Jakarta Mail (Eclipse Angus) resynchronising with QRESYNC (RFC 7162), as a caching mail application
 * does: IMAPFolder.open(mode, ResyncData). Run from source by e2e_condstore.py, twice:
 * <ul>
 * <li>{@code java -cp JARS JakartaQresync.java HOST PORT USER PASSWORD first}: opens INBOX with
 * CONDSTORE, prints {@code STATE UIDVALIDITY HIGHESTMODSEQ} and {@code MSG UID MODSEQ FLAGS} per
 * message, and disconnects;</li>
 * <li>{@code ... resync UIDVALIDITY MODSEQ}: opens INBOX with QRESYNC from that state and prints what
 * the open reported: {@code VANISHED uid,uid} and {@code CHANGED UID MODSEQ FLAGS} per message event,
 * then {@code STATE ...} again.</li>
 * </ul>
 * Exits 1 on any error.
 */
public class JakartaQresync {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("mail.imap.connectiontimeout", "15000");
        props.put("mail.imap.timeout", "15000");
        Session session = Session.getInstance(props);
        IMAPStore store = (IMAPStore) session.getStore("imap");
        store.connect(args[0], Integer.parseInt(args[1]), args[2], args[3]);
        try {
            if (!store.hasCapability("CONDSTORE") || !store.hasCapability("QRESYNC")) {
                throw new IllegalStateException("CONDSTORE/QRESYNC not announced");
            }
            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            if (args[4].equals("first")) {
                inbox.open(Folder.READ_WRITE, ResyncData.CONDSTORE);
                System.out.println("STATE " + inbox.getUIDValidity() + " " + inbox.getHighestModSeq());
                for (jakarta.mail.Message m : inbox.getMessages()) {
                    System.out.println("MSG " + inbox.getUID(m) + " " + ((org.eclipse.angus.mail.imap.IMAPMessage) m).getModSeq()
                            + " " + flags(m.getFlags()));
                }
            } else {
                ResyncData rd = new ResyncData(Long.parseLong(args[5]), Long.parseLong(args[6]));
                List<MailEvent> events = inbox.open(Folder.READ_WRITE, rd);
                for (MailEvent e : events == null ? new ArrayList<MailEvent>() : events) {
                    if (e instanceof MessageVanishedEvent v) {
                        long[] uids = v.getUIDs();
                        Arrays.sort(uids);
                        StringBuilder b = new StringBuilder();
                        for (long u : uids) {
                            b.append(b.length() == 0 ? "" : ",").append(u);
                        }
                        System.out.println("VANISHED " + b);
                    } else if (e instanceof MessageChangedEvent c) {
                        jakarta.mail.Message m = c.getMessage();
                        System.out.println("CHANGED " + inbox.getUID(m) + " "
                                + ((org.eclipse.angus.mail.imap.IMAPMessage) m).getModSeq() + " " + flags(m.getFlags()));
                    } else {
                        System.out.println("EVENT " + e.getClass().getSimpleName());
                    }
                }
                System.out.println("STATE " + inbox.getUIDValidity() + " " + inbox.getHighestModSeq());
            }
            inbox.close(false);
        } finally {
            store.close();
        }
    }

    /** System flags as IMAP names and user flags, sorted, comma-separated ("-" for none). */
    static String flags(Flags f) {
        TreeMap<String, Boolean> names = new TreeMap<>();
        for (Flags.Flag s : f.getSystemFlags()) {
            if (s == Flags.Flag.SEEN) names.put("\\Seen", true);
            else if (s == Flags.Flag.FLAGGED) names.put("\\Flagged", true);
            else if (s == Flags.Flag.ANSWERED) names.put("\\Answered", true);
            else if (s == Flags.Flag.DELETED) names.put("\\Deleted", true);
            else if (s == Flags.Flag.DRAFT) names.put("\\Draft", true);
        }
        for (String u : f.getUserFlags()) {
            names.put(u, true);
        }
        return names.isEmpty() ? "-" : String.join(",", names.keySet());
    }
}
