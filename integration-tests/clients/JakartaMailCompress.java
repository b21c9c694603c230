import java.util.Properties;

import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;

/**
 * Jakarta Mail (angus-mail) with COMPRESS=DEFLATE (RFC 4978) turned on (mail.imap.compress.enable):
 * lists, reads every message of INBOX, appends one and reads it back, all through the compressed
 * stream. Run from e2e_wire.py: java -cp JARS JakartaMailCompress.java HOST PORT USER PASSWORD.
 * Prints "OK n messages" and exits 0, or exits 1 with what failed.
 */
public class JakartaMailCompress {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("mail.store.protocol", "imap");
        p.put("mail.imap.connectiontimeout", "20000");
        p.put("mail.imap.timeout", "20000");
        p.put("mail.imap.compress.enable", "true");
        if (System.getenv("JAKARTA_DEBUG") != null) p.put("mail.debug", "true");
        Session session = Session.getInstance(p);
        IMAPStore store = (IMAPStore) session.getStore("imap");
        store.connect(args[0], Integer.parseInt(args[1]), args[2], args[3]);
        if (!store.hasCapability("COMPRESS=DEFLATE")) {
            System.out.println("FAIL COMPRESS=DEFLATE not announced after login");
            System.exit(1);
        }
        int folders = store.getDefaultFolder().list("*").length;
        IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
        inbox.open(Folder.READ_WRITE);
        int before = inbox.getMessageCount();
        long bytes = 0;
        for (Message m : inbox.getMessages()) {
            bytes += m.getInputStream().readAllBytes().length;
        }
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress("jakarta@example.org"));
        m.setSubject("Jakarta through deflate");
        m.setText("compressed ".repeat(20000));
        m.saveChanges();
        inbox.appendMessages(new Message[] {m});
        inbox.close(false);
        inbox.open(Folder.READ_ONLY);
        Message last = inbox.getMessage(inbox.getMessageCount());
        String subject = last.getSubject();
        String text = (String) last.getContent();
        if (inbox.getMessageCount() != before + 1 || !"Jakarta through deflate".equals(subject)
                || !text.startsWith("compressed compressed") || text.strip().length() != "compressed ".repeat(20000).strip().length()) {
            System.out.println("FAIL appended message not read back: " + subject + " " + text.length());
            System.exit(1);
        }
        inbox.close(false);
        store.close();
        System.out.println("OK " + folders + " folders, " + before + " messages read (" + bytes + " bytes), one appended");
    }
}
