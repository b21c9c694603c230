import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.imap.AppendUID;
import org.eclipse.angus.mail.imap.IMAPFolder;

import java.util.Properties;

/**
 * Jakarta Mail (Eclipse Angus) logging in through nginx's mail proxy to a Posthorn node, as a mail
 * application does: STARTTLS required and the certificate checked against the trust store given
 * (nginx's self-signed one), then INBOX opened, a message appended, and the count read back. Run from
 * source by e2e_nodes.py: {@code java -cp JARS JakartaNodesLogin.java HOST PORT USER PASSWORD TRUSTSTORE}.
 * Prints "APPENDED UID" and "COUNT N" and exits 0, or prints the exception and exits 1.
 */
public class JakartaNodesLogin {
    public static void main(String[] args) throws Exception {
        System.setProperty("javax.net.ssl.trustStore", args[4]);
        System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
        Properties p = new Properties();
        p.put("mail.imap.host", args[0]);
        p.put("mail.imap.port", args[1]);
        p.put("mail.imap.starttls.enable", "true");
        p.put("mail.imap.starttls.required", "true");
        p.put("mail.imap.ssl.checkserveridentity", "true");
        p.put("mail.imap.connectiontimeout", "20000");
        p.put("mail.imap.timeout", "20000");
        try {
            Session session = Session.getInstance(p);
            Store store = session.getStore("imap");
            store.connect(args[2], args[3]);
            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            MimeMessage m = new MimeMessage(session);
            m.setFrom(new InternetAddress("jakarta@example.org"));
            m.setSubject("Through nginx");
            m.setHeader("Message-ID", "<jakarta-nodes@e2e>");
            m.setText("Appended by Jakarta Mail through nginx.\n");
            m.saveChanges();
            m.setHeader("Message-ID", "<jakarta-nodes@e2e>");
            AppendUID[] appended = inbox.appendUIDMessages(new Message[] {m});
            System.out.println("APPENDED " + appended[0].uid);
            inbox.open(Folder.READ_ONLY);
            System.out.println("COUNT " + inbox.getMessageCount());
            inbox.close(false);
            store.close();
        } catch (Exception e) {
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }
}
