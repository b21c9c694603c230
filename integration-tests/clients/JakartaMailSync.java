import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import jakarta.mail.event.MessageCountAdapter;
import jakarta.mail.event.MessageCountEvent;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.search.AndTerm;
import jakarta.mail.search.FlagTerm;
import jakarta.mail.search.FromStringTerm;
import jakarta.mail.search.SearchTerm;
import jakarta.mail.search.SubjectTerm;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.imap.AppendUID;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Jakarta Mail (Eclipse Angus) against the running server, as a mail application uses it: folders,
 * APPEND with APPENDUID, COPY with COPYUID, MOVE, flags and keywords, server-side SEARCH, ENVELOPE
 * (what getSubject()/getFrom() load), and IMAPFolder.idle() seeing an outside delivery into the
 * server's Maildir. Run from source by e2e_sync.py:
 * {@code java -cp JARS JakartaMailSync.java HOST PORT USER PASSWORD MAILDIR}.
 * Prints PASS/FAIL per step and "LATENCY idle SECONDS"; exits 1 if any step failed.
 */
public class JakartaMailSync {
    static int failures;

    interface Step { void run() throws Exception; }

    static void step(String name, Step s) {
        try {
            s.run();
            System.out.println("PASS " + name);
        } catch (Throwable t) {
            failures++;
            System.out.println("FAIL " + name + ": " + t);
            t.printStackTrace(System.out);
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    static MimeMessage message(Session session, String id, String subject, String from) throws Exception {
        MimeMessage m = new MimeMessage(session) {
            @Override protected void updateMessageID() throws jakarta.mail.MessagingException {
                setHeader("Message-ID", id);
            }
        };
        m.setFrom(new InternetAddress(from));
        m.setRecipients(Message.RecipientType.TO, "bob@example.org");
        m.setSubject(subject);
        m.setSentDate(new java.util.Date());
        m.setText("Written by Jakarta Mail.\n");
        m.saveChanges();
        return m;
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String user = args[2], password = args[3];
        Path maildir = Path.of(args[4]);

        Properties p = new Properties();
        p.put("mail.store.protocol", "imap");
        p.put("mail.imap.connectiontimeout", "20000");
        p.put("mail.imap.timeout", "20000");
        // Searches go to the server; a server that cannot do one must fail here, not be hidden
        // by Jakarta Mail searching on the client side.
        p.put("mail.imap.throwsearchexception", "true");
        // JAKARTA_DEBUG=1 prints the IMAP conversation (Jakarta Mail's own protocol trace).
        if (System.getenv("JAKARTA_DEBUG") != null) p.put("mail.debug", "true");
        Session session = Session.getInstance(p);
        IMAPStore store = (IMAPStore) session.getStore("imap");
        store.connect(host, port, user, password);

        IMAPFolder[] work = new IMAPFolder[1];
        long[] uids = new long[3];
        step("create and list a folder", () -> {
            Folder f = store.getFolder("Jakarta");
            check(!f.exists(), "Jakarta exists before CREATE");
            check(f.create(Folder.HOLDS_MESSAGES), "CREATE failed");
            List<String> names = new ArrayList<>();
            for (Folder x : store.getDefaultFolder().list("*")) names.add(x.getFullName());
            check(names.contains("Jakarta") && names.contains("Projects"), "LIST: " + names);
            check(store.getDefaultFolder().getSeparator() == '.' || f.getSeparator() == '.', "separator");
            work[0] = (IMAPFolder) f;
        });
        step("append with APPENDUID", () -> {
            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            MimeMessage[] msgs = {
                message(session, "<j1@jakarta>", "Jakarta one", "Dora <dora@example.com>"),
                message(session, "<j2@jakarta>", "Jakarta two", "Eve <eve@example.com>"),
                message(session, "<j3@jakarta>", "Something else", "Dora <dora@example.com>"),
            };
            AppendUID[] got = inbox.appendUIDMessages(msgs);
            for (int i = 0; i < 3; i++) {
                check(got[i] != null, "no APPENDUID for message " + i);
                uids[i] = got[i].uid;
            }
            check(uids[1] == uids[0] + 1 && uids[2] == uids[1] + 1, "UIDs not consecutive: " + Arrays.toString(uids));
        });
        step("envelope, server-side search, flags and keywords", () -> {
            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            inbox.open(Folder.READ_WRITE);
            check(inbox.getMessageCount() == 6, "INBOX count " + inbox.getMessageCount());
            Message[] all = inbox.getMessages();
            FetchProfile fp = new FetchProfile();
            fp.add(FetchProfile.Item.ENVELOPE);
            fp.add(FetchProfile.Item.FLAGS);
            fp.add(UIDFolder.FetchProfileItem.UID);
            inbox.fetch(all, fp);
            Message j1 = inbox.getMessageByUID(uids[0]);
            check("Jakarta one".equals(j1.getSubject()), "subject " + j1.getSubject());
            InternetAddress from = (InternetAddress) j1.getFrom()[0];
            check("dora@example.com".equals(from.getAddress()) && "Dora".equals(from.getPersonal()), "from " + from);
            check("<j1@jakarta>".equals(((MimeMessage) j1).getMessageID()), "Message-ID " + ((MimeMessage) j1).getMessageID());

            // Protocol-level SEARCH: the server's answer, never a client-side fallback.
            int[] hits = searchOnServer(inbox, new SubjectTerm("jakarta"));
            check(Arrays.equals(hits, new int[] {4, 5}), "SEARCH SUBJECT jakarta -> " + Arrays.toString(hits));
            hits = searchOnServer(inbox, new AndTerm(new FromStringTerm("dora"), new SubjectTerm("else")));
            check(Arrays.equals(hits, new int[] {6}), "SEARCH FROM dora SUBJECT else -> " + Arrays.toString(hits));
            Message[] found = inbox.search(new FlagTerm(new Flags(Flags.Flag.SEEN), false));
            check(found.length == 5, "UNSEEN: " + found.length); // in2, in3 and our three
            Flags mine = new Flags(Flags.Flag.FLAGGED);
            mine.add("$Work");
            j1.setFlags(mine, true);
            j1.setFlag(Flags.Flag.SEEN, true);
            inbox.getMessageByUID(uids[2]).setFlag(Flags.Flag.DELETED, true);
            Flags want = new Flags(Flags.Flag.FLAGGED);
            want.add(Flags.Flag.SEEN);
            want.add("$Work");
            check(j1.getFlags().contains(want), "flags " + Arrays.toString(j1.getFlags().getUserFlags()));
            hits = searchOnServer(inbox, new FlagTerm(new Flags("$Work"), true));
            check(Arrays.equals(hits, new int[] {4}), "SEARCH KEYWORD $Work -> " + Arrays.toString(hits));
            inbox.close(true); // CLOSE expunges j3
            inbox.open(Folder.READ_ONLY);
            check(inbox.getMessageCount() == 5, "after CLOSE expunge: " + inbox.getMessageCount());
            inbox.close(false);
        });
        step("copy with COPYUID, move, delete folder", () -> {
            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            inbox.open(Folder.READ_WRITE);
            Message[] ours = {inbox.getMessageByUID(uids[0]), inbox.getMessageByUID(uids[1])};
            AppendUID[] copied = inbox.copyUIDMessages(ours, work[0]);
            check(copied != null && copied.length == 2 && copied[0] != null && copied[1] != null, "COPYUID");
            IMAPFolder scratch = (IMAPFolder) store.getFolder("Scratch");
            check(scratch.create(Folder.HOLDS_MESSAGES), "CREATE Scratch");
            work[0].open(Folder.READ_WRITE);
            Message j2copy = work[0].getMessageByUID(copied[1].uid);
            work[0].moveMessages(new Message[] {j2copy}, scratch);
            // Jakarta Mail counts an expunged message until the folder is reopened: count by STATUS.
            check(j2copy.isExpunged(), "the moved message was not expunged from its folder");
            Flags f = work[0].getMessageByUID(copied[0].uid).getFlags();
            check(f.contains(Flags.Flag.FLAGGED) && f.contains("$Work"), "COPY kept the flags: " + f);
            work[0].close(false);
            check(work[0].getMessageCount() == 1, "after MOVE: " + work[0].getMessageCount());
            scratch.open(Folder.READ_ONLY);
            check(scratch.getMessageCount() == 1, "moved message in Scratch");
            check("Jakarta two".equals(scratch.getMessage(1).getSubject()), "moved message's subject");
            scratch.close(false);
            check(scratch.delete(false), "DELETE Scratch");
            check(!scratch.exists(), "Scratch still exists");
            inbox.close(false);
        });
        step("IDLE sees an outside delivery", () -> {
            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            inbox.open(Folder.READ_WRITE);
            int before = inbox.getMessageCount();
            CountDownLatch added = new CountDownLatch(1);
            AtomicLong seenAt = new AtomicLong();
            inbox.addMessageCountListener(new MessageCountAdapter() {
                @Override public void messagesAdded(MessageCountEvent e) {
                    seenAt.set(System.nanoTime());
                    added.countDown();
                }
            });
            Thread idler = new Thread(() -> {
                try {
                    while (added.getCount() > 0) inbox.idle(true);
                } catch (Exception e) {
                    System.out.println("idle ended: " + e);
                }
            }, "idler");
            idler.start();
            Thread.sleep(1000); // let IDLE start; the listener fires only from inside idle()
            long deliveredAt = System.nanoTime();
            deliver(maildir, "<outside@jakarta>", "Delivered while Jakarta Mail idles");
            check(added.await(15, TimeUnit.SECONDS), "no EXISTS within 15 s of the delivery");
            System.out.printf("LATENCY idle %.3f%n", (seenAt.get() - deliveredAt) / 1e9);
            idler.join(15000);
            check(!idler.isAlive(), "idle() did not return");
            check(inbox.getMessageCount() == before + 1, "count after IDLE " + inbox.getMessageCount());
            check("Delivered while Jakarta Mail idles".equals(inbox.getMessage(before + 1).getSubject()),
                  "subject of the delivered message");
            inbox.close(false);
        });
        store.close();
        System.out.println(failures == 0 ? "jakarta: all passed" : "jakarta: " + failures + " failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    static int[] searchOnServer(IMAPFolder f, SearchTerm term) throws Exception {
        return (int[]) f.doCommand(protocol -> {
            try {
                return protocol.search(term);
            } catch (jakarta.mail.search.SearchException e) {
                throw new ProtocolException(e.toString());
            }
        });
    }

    /** As an MDA delivers: write into tmp/, rename into new/. */
    static void deliver(Path maildir, String id, String subject) throws Exception {
        String name = System.currentTimeMillis() / 1000 + ".J" + System.nanoTime() + ".jakarta";
        Path tmp = maildir.resolve("tmp").resolve(name);
        Files.writeString(tmp, "From: Tester <tester@example.org>\nTo: jakarta@localhost\nSubject: " + subject
                + "\nMessage-ID: " + id + "\n\nHello.\n", StandardCharsets.US_ASCII);
        Files.move(tmp, maildir.resolve("new").resolve(name));
    }
}
