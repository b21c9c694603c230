package posthorn.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Realistic mail, the same bytes for the same seed: a Maildir of N messages and an mbox for APPEND.
 *
 * <p>Shape (chosen to resemble a long-lived work mailbox): 75% text/plain of 1-10 KB, 15%
 * multipart/alternative (text + HTML) of 3-30 KB, 10% multipart/mixed with one to three base64
 * attachments, 20-200 KB in all (log-uniform, so most are small). A fifth of the display names and
 * subjects are RFC 2047 encoded (UTF-8 B/Q and ISO-8859-1 Q); bodies are UTF-8 or ISO-8859-1, in
 * 8bit or quoted-printable. About 40% of messages answer an earlier one (In-Reply-To, References,
 * "Re:" subject, quoted text). Dates run forward over three years with jitter and mixed zones; the
 * file's mtime is the Date (servers take INTERNALDATE from it). One message in 500 carries
 * {@link #NEEDLE} in its body, for SEARCH TEXT.
 *
 * <p>Files are named as a delivery agent names them ({@code TIME.MnP0Q1.bench,S=SIZE:2,FLAGS}),
 * with LF line ends; all but the newest 50 are in cur/ with flags (70% seen, 10% answered, 5%
 * flagged), the rest in new/.
 */
final class MailGenerator {

    /** The word SEARCH TEXT looks for: in about one message in 500. */
    static final String NEEDLE = "quuxfrobnicator";

    private static final String[] FIRST = {"Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo",
        "Ines", "Jonas", "Karin", "Lukas", "Marie", "Noah", "Olga", "Paul", "Rita", "Sven", "Tina", "Uwe",
        "Vera", "Walter", "Yusuf", "Zoe", "Alice", "Bob", "Carol", "Dan", "Erin", "Frank", "Grace", "Heidi"};
    private static final String[] FIRST_LATIN1 = {"José", "Zoë", "Jürgen", "Søren", "Françoise", "Ángel",
        "Björn", "Maïté", "Ólafur", "Renée", "Çağla", "Günther"};
    private static final String[] FIRST_UTF8 = {"Łukasz", "Dvořák", "Ђорђе", "Αλέξης", "李", "Ōkubo", "Михаил",
        "Žofia", "Nguyễn", "Σοφία"};
    private static final String[] LAST = {"Müller", "Schmidt", "Meyer", "Weber", "Smith", "Jones", "Brown",
        "Miller", "Davis", "Garcia", "Martin", "Bernard", "Dubois", "Rossi", "Bianchi", "Novak", "Kowalski",
        "Jensen", "Larsen", "Virtanen", "Silva", "Santos", "Tanaka", "Kim", "Wong", "Okafor", "Haddad"};
    private static final String[] DOMAINS = {"example.com", "example.org", "example.net", "mail.example.de",
        "corp.example", "lists.example.org", "uni-example.edu", "shop.example.co.uk"};
    private static final String[] WORDS = ("the of and to in a is that for it as was with be by on not he this are "
        + "or his from at which but have an they you were her she there been one all we their has would when if "
        + "so no will can more about what up said out them into some could time these two may first then do any "
        + "like my now over such our man me even most made after also did many before must through back years "
        + "where much your way well down should because each just those people how too little state good very "
        + "make world still own see men work long get here between both life being under never day same another "
        + "know while last might us great old year off come since against go came right used take three "
        + "meeting project budget report server release deadline invoice contract schedule quarter review "
        + "customer feature backup network storage mailbox migration agenda minutes travel expense proposal "
        + "draft version ticket incident outage patch upgrade database cluster latency throughput benchmark "
        + "holiday lunch conference slides summary feedback question answer thanks regards update status").split(" ");
    private static final String[] LATIN1_WORDS = {"café", "naïve", "Größe", "über", "Straße", "déjà", "façade",
        "señor", "Ærø", "smörgåsbord", "à", "résumé", "Zürich", "São"};
    private static final String[] UTF8_WORDS = {"Привет", "日本語", "καλημέρα", "€", "naïve", "Łódź", "🙂", "中文",
        "Žluťoučký", "مرحبا", "ありがとう"};
    private static final String[] ATTACH = {"application/pdf;report.pdf", "image/jpeg;photo.jpg",
        "application/zip;archive.zip", "image/png;screenshot.png",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;Übersicht Q3.xlsx",
        "application/octet-stream;data.bin", "text/calendar;invite.ics"};
    private static final DateTimeFormatter RFC5322 =
        DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);
    private static final Charset LATIN1 = StandardCharsets.ISO_8859_1;

    private final SplittableRandom random;
    private final String[] senders;
    private final List<Sent> sent = new ArrayList<>();
    private final long start = ZonedDateTime.of(2023, 11, 1, 8, 0, 0, 0, ZoneOffset.UTC).toEpochSecond();
    private long clock = start;
    private int counter;

    /** One message: what a reply needs, and its bytes. */
    record Sent(String messageId, String references, String subject, String from, long date) {}

    MailGenerator(long seed) {
        random = new SplittableRandom(seed);
        senders = new String[400];
        for (int i = 0; i < senders.length; i++) {
            senders[i] = person();
        }
    }

    /** Writes {@code count} messages into {@code maildir} (created with cur/, new/, tmp/). */
    void maildir(Path maildir, int count) throws IOException {
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        long spread = 3L * 365 * 86400 / Math.max(count, 1);
        for (int i = 0; i < count; i++) {
            clock += 1 + random.nextLong(Math.max(2, 2 * spread));
            byte[] msg = message();
            boolean isNew = i >= count - Math.min(50, count / 10);
            String base = clock + ".M" + (100000 + random.nextInt(900000)) + "P" + (1000 + i) + "Q" + i
                + ".bench,S=" + msg.length;
            Path file = isNew ? maildir.resolve("new").resolve(base) : maildir.resolve("cur").resolve(base + ":2," + flags());
            Files.write(file, msg);
            Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(clock)));
        }
    }

    /** Writes {@code count} messages as an mbox (mboxrd quoting), for APPEND. */
    void mbox(Path file, int count) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < count; i++) {
                clock += 1 + random.nextLong(3600);
                byte[] msg = message();
                out.write(("From bench@example.com " + ZonedDateTime.ofInstant(Instant.ofEpochSecond(clock), ZoneOffset.UTC)
                    .format(DateTimeFormatter.ofPattern("EEE MMM d HH:mm:ss yyyy", Locale.ROOT)) + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
                String text = new String(msg, LATIN1); // bytes kept one to one
                for (String line : text.split("\n", -1)) {
                    if (line.matches(">*From .*")) {
                        out.write('>');
                    }
                    out.write(line.getBytes(LATIN1));
                    out.write('\n');
                }
            }
        }
    }

    /** Reads the messages of an mbox written by {@link #mbox}, with CRLF line ends, as APPEND sends them. */
    static List<byte[]> readMbox(Path file) throws IOException {
        String text = new String(Files.readAllBytes(file), LATIN1);
        List<byte[]> out = new ArrayList<>();
        StringBuilder cur = null;
        for (String line : text.split("\n", -1)) {
            if (line.startsWith("From ")) {
                if (cur != null) {
                    out.add(crlf(cur));
                }
                cur = new StringBuilder();
                continue;
            }
            if (cur == null) {
                continue;
            }
            if (line.matches(">+From .*")) {
                line = line.substring(1);
            }
            cur.append(line).append('\n');
        }
        if (cur != null) {
            out.add(crlf(cur));
        }
        return out;
    }

    private static byte[] crlf(StringBuilder msg) {
        String s = msg.toString();
        while (s.endsWith("\n\n")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.replace("\n", "\r\n").getBytes(LATIN1);
    }

    private String flags() {
        StringBuilder f = new StringBuilder();
        if (random.nextInt(100) < 5) f.append('F');
        if (random.nextInt(100) < 10) f.append('R');
        if (random.nextInt(100) < 70) f.append('S');
        return f.toString();
    }

    private byte[] message() {
        counter++;
        String from = senders[random.nextInt(senders.length)];
        String to = senders[random.nextInt(senders.length)];
        String id = "<" + Long.toString(clock, 36) + "." + counter + "." + Integer.toHexString(random.nextInt())
            + "@" + DOMAINS[random.nextInt(DOMAINS.length)] + ">";
        Sent parent = null;
        if (!sent.isEmpty() && random.nextInt(100) < 40) {
            int back = Math.min(sent.size(), 2000);
            parent = sent.get(sent.size() - 1 - random.nextInt(back));
        }
        String subject;
        String references = null;
        if (parent != null) {
            subject = parent.subject.startsWith("Re: ") ? parent.subject : "Re: " + parent.subject;
            references = parent.references == null ? parent.messageId : parent.references + " " + parent.messageId;
            String[] refs = references.split(" ");
            if (refs.length > 10) { // as clients do: keep the first and the last few
                references = refs[0] + " " + String.join(" ", List.of(refs).subList(refs.length - 8, refs.length));
            }
        } else {
            subject = sentence(3 + random.nextInt(7), 0);
            subject = Character.toUpperCase(subject.charAt(0)) + subject.substring(1);
        }
        ZoneOffset zone = ZoneOffset.ofHours(random.nextInt(-8, 10));
        String date = ZonedDateTime.ofInstant(Instant.ofEpochSecond(clock), zone).format(RFC5322);

        StringBuilder h = new StringBuilder(1024);
        h.append("Return-Path: <").append(address(from)).append(">\n");
        h.append("Received: from mx").append(random.nextInt(9)).append(".example.net (mx.example.net [192.0.2.")
            .append(random.nextInt(250)).append("])\n\tby mail.example.com with ESMTPS id ")
            .append(Long.toHexString(random.nextLong())).append("\n\tfor <bench@example.com>; ").append(date).append('\n');
        h.append("Message-ID: ").append(id).append('\n');
        h.append("Date: ").append(date).append('\n');
        h.append("From: ").append(from).append('\n');
        h.append("To: ").append(to).append('\n');
        if (random.nextInt(4) == 0) {
            h.append("Cc: ").append(senders[random.nextInt(senders.length)]).append(", ")
                .append(senders[random.nextInt(senders.length)]).append('\n');
        }
        h.append("Subject: ").append(encodeHeader(subject)).append('\n');
        if (parent != null) {
            h.append("In-Reply-To: ").append(parent.messageId).append('\n');
            h.append("References: ").append(references.replace(" ", "\n ")).append('\n');
        }
        h.append("MIME-Version: 1.0\n");
        if (random.nextInt(3) == 0) {
            h.append("X-Mailer: ").append(random.nextBoolean() ? "Mozilla Thunderbird 115.4" : "Apple Mail (2.3731)").append('\n');
        }
        sent.add(new Sent(id, references, subject, from, clock));

        int kind = random.nextInt(100);
        String quote = parent == null ? "" : "\nOn " + ZonedDateTime.ofInstant(Instant.ofEpochSecond(parent.date), ZoneOffset.UTC)
            .format(RFC5322) + ", " + parent.from + " wrote:\n" + quoted(sentence(40, 0));
        StringBuilder b = new StringBuilder();
        if (kind < 75) {
            int size = 600 + (int) Math.exp(random.nextDouble(Math.log(200), Math.log(9_500)));
            textPart(h, b, size, quote, true);
        } else if (kind < 90) {
            int size = (int) Math.exp(random.nextDouble(Math.log(1_500), Math.log(14_000)));
            String boundary = "=_alt_" + Long.toHexString(random.nextLong());
            h.append("Content-Type: multipart/alternative; boundary=\"").append(boundary).append("\"\n");
            b.append("This is a multi-part message in MIME format.\n\n--").append(boundary).append('\n');
            StringBuilder ph = new StringBuilder();
            StringBuilder pb = new StringBuilder();
            textPart(ph, pb, size, quote, false);
            b.append(ph).append(pb);
            b.append("\n--").append(boundary).append("\nContent-Type: text/html; charset=utf-8\n")
                .append("Content-Transfer-Encoding: quoted-printable\n\n");
            b.append(quotedPrintable(("<html><body><p>" + sentence(size / 6, 12).replace("\n", "</p>\n<p>")
                + "</p></body></html>\n").getBytes(StandardCharsets.UTF_8)));
            b.append("\n--").append(boundary).append("--\n");
        } else {
            int total = (int) Math.exp(random.nextDouble(Math.log(20_000), Math.log(200_000)));
            String boundary = "=_mix_" + Long.toHexString(random.nextLong());
            h.append("Content-Type: multipart/mixed; boundary=\"").append(boundary).append("\"\n");
            b.append("This is a multi-part message in MIME format.\n\n--").append(boundary).append('\n');
            StringBuilder ph = new StringBuilder();
            StringBuilder pb = new StringBuilder();
            textPart(ph, pb, 300 + random.nextInt(3000), quote, false);
            b.append(ph).append(pb);
            int parts = 1 + random.nextInt(3);
            int left = Math.max(1000, total - b.length() - h.length());
            for (int p = 0; p < parts; p++) {
                int raw = (int) (left / parts * 0.74); // base64 grows by 4/3 plus line ends
                String[] type = ATTACH[random.nextInt(ATTACH.length)].split(";");
                byte[] data = new byte[Math.max(64, raw)];
                random.nextBytes(data);
                b.append("\n--").append(boundary).append("\nContent-Type: ").append(type[0]).append("; name=\"")
                    .append(encodeHeader(type[1])).append("\"\nContent-Disposition: attachment; filename=\"")
                    .append(encodeHeader(type[1])).append("\"\nContent-Transfer-Encoding: base64\n\n");
                String b64 = Base64.getMimeEncoder(76, new byte[] {'\n'}).encodeToString(data);
                b.append(b64).append('\n');
            }
            b.append("\n--").append(boundary).append("--\n");
        }
        String whole = h + "\n" + b;
        return whole.getBytes(LATIN1);
    }

    /** Appends the headers of a single text part to {@code h} and its body to {@code b}. */
    private void textPart(StringBuilder h, StringBuilder b, int size, String quote, boolean top) {
        int cs = random.nextInt(10);
        boolean latin1 = cs < 3;
        boolean qp = random.nextInt(3) == 0;
        String text = sentence(size / 6, latin1 ? 1 : cs < 5 ? 2 : 0) + "\n" + quote + "\n-- \n" + sentence(6, 0) + "\n";
        if (random.nextInt(500) == 0) {
            text = text.replaceFirst(" ", " " + NEEDLE + " ");
        }
        h.append("Content-Type: text/plain; charset=").append(latin1 ? "iso-8859-1" : "utf-8");
        if (random.nextInt(4) == 0) {
            h.append("; format=flowed");
        }
        h.append("\nContent-Transfer-Encoding: ").append(qp ? "quoted-printable" : "8bit").append('\n');
        if (!top) {
            h.append('\n');
        }
        byte[] bytes = text.getBytes(latin1 ? LATIN1 : StandardCharsets.UTF_8);
        // The message is assembled as a Latin-1 view of its bytes (one char per byte).
        b.append(qp ? quotedPrintable(bytes) : new String(bytes, LATIN1));
    }

    /** {@code n} words in lines of about 72 characters; {@code accents} 1 mixes Latin-1, 2 other UTF-8. */
    private String sentence(int n, int accents) {
        StringBuilder s = new StringBuilder(n * 6);
        int line = 0;
        for (int i = 0; i < n; i++) {
            String w;
            int r = random.nextInt(100);
            if (accents == 1 && r < 4) {
                w = LATIN1_WORDS[random.nextInt(LATIN1_WORDS.length)];
            } else if (accents == 2 && r < 4) {
                w = UTF8_WORDS[random.nextInt(UTF8_WORDS.length)];
            } else if (r < 8) {
                w = syllables();
            } else {
                w = WORDS[random.nextInt(WORDS.length)];
            }
            if (line > 0 && line + w.length() > 72) {
                s.append('\n');
                line = 0;
            } else if (i > 0) {
                s.append(' ');
                line++;
            }
            s.append(w);
            line += w.length();
        }
        return s.toString();
    }

    private String syllables() {
        String[] syl = {"ka", "lo", "mi", "ran", "te", "vu", "sel", "dor", "qui", "ba", "zen", "tor", "fi", "nal"};
        int n = 2 + random.nextInt(3);
        StringBuilder w = new StringBuilder();
        for (int i = 0; i < n; i++) {
            w.append(syl[random.nextInt(syl.length)]);
        }
        return w.toString();
    }

    private static String quoted(String text) {
        return "> " + text.replace("\n", "\n> ") + "\n";
    }

    private String person() {
        int r = random.nextInt(100);
        String first = r < 10 ? FIRST_LATIN1[random.nextInt(FIRST_LATIN1.length)]
            : r < 18 ? FIRST_UTF8[random.nextInt(FIRST_UTF8.length)] : FIRST[random.nextInt(FIRST.length)];
        String last = LAST[random.nextInt(LAST.length)];
        String local = ascii(first).toLowerCase(Locale.ROOT) + "." + ascii(last).toLowerCase(Locale.ROOT);
        String addr = local + "@" + DOMAINS[random.nextInt(DOMAINS.length)];
        if (random.nextInt(10) == 0) {
            return addr;
        }
        return encodeHeader(first + " " + last) + " <" + addr + ">";
    }

    private static String address(String person) {
        int lt = person.indexOf('<');
        return lt < 0 ? person : person.substring(lt + 1, person.indexOf('>'));
    }

    private static String ascii(String s) {
        StringBuilder a = new StringBuilder();
        for (char c : java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD).toCharArray()) {
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
                a.append(c);
            }
        }
        return a.isEmpty() ? "user" + Math.abs(s.hashCode() % 1000) : a.toString();
    }

    /** RFC 2047: plain if ASCII; else ISO-8859-1 Q if it fits Latin-1 (half the time), else UTF-8 B or Q. */
    private String encodeHeader(String s) {
        if (s.chars().allMatch(c -> c < 128)) {
            return s;
        }
        if (LATIN1.newEncoder().canEncode(s) && random.nextBoolean()) {
            return "=?ISO-8859-1?Q?" + qWord(s.getBytes(LATIN1)) + "?=";
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        if (random.nextBoolean()) {
            return "=?UTF-8?B?" + Base64.getEncoder().encodeToString(utf8) + "?=";
        }
        return "=?utf-8?q?" + qWord(utf8) + "?=";
    }

    private static String qWord(byte[] bytes) {
        StringBuilder q = new StringBuilder();
        for (byte x : bytes) {
            int c = x & 0xff;
            if (c == ' ') {
                q.append('_');
            } else if (c >= 33 && c <= 126 && c != '=' && c != '?' && c != '_' && c != '"') {
                q.append((char) c);
            } else {
                q.append('=').append(String.format("%02X", c));
            }
        }
        return q.toString();
    }

    private static String quotedPrintable(byte[] bytes) {
        StringBuilder q = new StringBuilder(bytes.length + bytes.length / 8);
        int line = 0;
        for (byte x : bytes) {
            int c = x & 0xff;
            if (c == '\n') {
                q.append('\n');
                line = 0;
                continue;
            }
            String enc = c >= 33 && c <= 126 && c != '=' || c == ' ' ? String.valueOf((char) c) : String.format("=%02X", c);
            if (line + enc.length() > 75) {
                q.append("=\n");
                line = 0;
            }
            q.append(enc);
            line += enc.length();
        }
        return q.toString();
    }
}
