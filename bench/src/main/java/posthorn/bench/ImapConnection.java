package posthorn.bench;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One raw IMAP connection, used by one thread at a time (a virtual thread per connection). Reads
 * responses without interpreting them beyond what timing needs: tagged status lines, continuation
 * requests, and literals (skipped by their announced size, so FETCH BODY[] of 200 KB costs a
 * buffer copy, not a parse). Untagged lines are kept only when the caller asks for them.
 */
final class ImapConnection implements Closeable {

    /** A command's outcome: status of the tagged line (OK, NO, BAD; BYE if the server hung up). */
    record Reply(String status, String text, int untagged, long bytes, List<String> lines) {
        boolean ok() {
            return "OK".equals(status);
        }

        /** "NO text" / "BAD text": why a server refused, for an n/a note. */
        String refusal() {
            return status + " " + text;
        }
    }

    /** Thrown when the server closes the connection or sends something unreadable. */
    static final class ProtocolException extends IOException {
        ProtocolException(String message) {
            super(message);
        }
    }

    private static final int KEEP_MAX = 2048;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    /** Read buffer: 64 KB for the big-mailbox commands, a few KB for the many held IDLE sessions. */
    private final byte[] buf;
    private int pos;
    private int lim;
    private int tag;
    private long bytesRead;
    final String greeting;

    private ImapConnection(Socket socket, int bufferSize) throws IOException {
        this.socket = socket;
        this.buf = new byte[bufferSize];
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.greeting = readLine(true);
        if (!greeting.startsWith("* OK") && !greeting.startsWith("* PREAUTH")) {
            socket.close();
            throw new ProtocolException("greeting: " + greeting);
        }
    }

    /** Connects from {@code local} (null: any; its port is chosen by the kernel) and reads the greeting. */
    static ImapConnection open(InetSocketAddress server, InetAddress local, int timeoutMillis) throws IOException {
        return open(server, local, timeoutMillis, 64 * 1024);
    }

    /** As above with a read buffer of {@code bufferSize} bytes (100,000 IDLE sessions: 4 KB each, not 64). */
    static ImapConnection open(InetSocketAddress server, InetAddress local, int timeoutMillis, int bufferSize)
            throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout(timeoutMillis);
            if (local != null) {
                s.bind(new InetSocketAddress(local, 0));
            }
            s.connect(server, timeoutMillis);
            return new ImapConnection(s, bufferSize);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    boolean preauth() {
        return greeting.startsWith("* PREAUTH");
    }

    void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** Sends a command and reads up to its tagged reply; {@code keep} keeps the untagged lines' first 2 KB. */
    Reply command(String command, boolean keep) throws IOException {
        String t = nextTag();
        send(t + " " + command + "\r\n");
        return readReply(t, keep);
    }

    Reply command(String command) throws IOException {
        return command(command, false);
    }

    /** LOGIN with a quoted user and password. */
    Reply login(String user, String password) throws IOException {
        return command("LOGIN " + quote(user) + " " + quote(password));
    }

    /** APPEND with a synchronizing literal (every server has those). */
    Reply append(String mailbox, byte[] message) throws IOException {
        String t = nextTag();
        send(t + " APPEND " + quote(mailbox) + " {" + message.length + "}\r\n");
        long before = bytesRead;
        String line = readLine(true);
        if (!line.startsWith("+")) {
            return tagged(t, line, 0, bytesRead - before, List.of());
        }
        out.write(message);
        send("\r\n");
        return readReply(t, false);
    }

    /**
     * Starts IDLE: returns null once the server sent its continuation request, or the tagged
     * reply if it refused (NO/BAD). Untagged lines before the "+" are ignored.
     */
    Reply idle() throws IOException {
        String t = nextTag();
        send(t + " IDLE\r\n");
        while (true) {
            String line = readLine(true);
            if (line.startsWith("+")) {
                idleTag = t;
                return null;
            }
            if (line.startsWith(t + " ")) {
                return tagged(t, line, 0, 0, List.of());
            }
        }
    }

    private String idleTag;

    /** Ends IDLE and reads to its tagged reply. */
    Reply done() throws IOException {
        send("DONE\r\n");
        String t = idleTag;
        idleTag = null;
        return readReply(t, false);
    }

    /** The next response line (literals skipped), e.g. an untagged EXISTS during IDLE. */
    String readLine() throws IOException {
        return readLine(true);
    }

    /** LOGOUT, then close; errors are ignored (the server may have hung up first). */
    void logout() {
        try {
            command("LOGOUT");
        } catch (IOException ignored) {
            // closing anyway
        }
        close();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    /** Writes the commands in {@code batch} in one write and empties it (a pipelining client's send). */
    void sendRaw(StringBuilder batch) throws IOException {
        send(batch.toString());
        batch.setLength(0);
    }

    /** Whether response bytes are already read and not yet consumed (reading on would not block). */
    boolean buffered() {
        return pos < lim;
    }

    private String nextTag() {
        return "t" + (++tag);
    }

    private void send(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private Reply readReply(String t, boolean keep) throws IOException {
        long before = bytesRead;
        int untagged = 0;
        List<String> lines = keep ? new ArrayList<>() : List.of();
        String prefix = t + " ";
        while (true) {
            String line = readLine(true);
            if (line.startsWith(prefix)) {
                return tagged(t, line, untagged, bytesRead - before, lines);
            }
            if (line.startsWith("* BYE") && !prefix.isEmpty() && idleTag == null) {
                // A BYE is normal before LOGOUT's OK; the tagged line still follows.
                untagged++;
                continue;
            }
            untagged++;
            if (keep) {
                lines.add(line);
            }
        }
    }

    private static Reply tagged(String t, String line, int untagged, long bytes, List<String> lines) {
        String rest = line.substring(t.length() + 1);
        int sp = rest.indexOf(' ');
        String status = sp < 0 ? rest : rest.substring(0, sp);
        return new Reply(status.toUpperCase(), sp < 0 ? "" : rest.substring(sp + 1), untagged, bytes, lines);
    }

    /**
     * One response line as text (its first 2 KB), with every literal it contains skipped by size.
     * The end of each physical line is tracked apart from the kept text, so that a literal
     * announced after the first 2 KB is still found.
     */
    private String readLine(boolean keep) throws IOException {
        StringBuilder sb = new StringBuilder(80);
        while (true) {
            tailLen = 0;
            while (true) {
                if (pos == lim) {
                    fill();
                }
                int i = pos;
                while (i < lim && buf[i] != '\n') {
                    i++;
                }
                int take = Math.min(i - pos, Math.max(0, KEEP_MAX - sb.length()));
                if (take > 0) {
                    sb.append(new String(buf, pos, take, StandardCharsets.ISO_8859_1));
                }
                addTail(pos, i);
                if (i < lim) {
                    pos = i + 1;
                    break;
                }
                pos = lim;
            }
            if (tailLen > 0 && tail[tailLen - 1] == '\r') {
                tailLen--;
                if (sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
                    sb.setLength(sb.length() - 1);
                }
            }
            long literal = literalSize();
            if (literal < 0) {
                return sb.toString();
            }
            skip(literal);
        }
    }

    private final byte[] tail = new byte[32];
    private int tailLen;

    private void addTail(int from, int to) {
        int n = to - from;
        if (n >= tail.length) {
            System.arraycopy(buf, to - tail.length, tail, 0, tail.length);
            tailLen = tail.length;
            return;
        }
        int keep = Math.min(tailLen, tail.length - n);
        System.arraycopy(tail, tailLen - keep, tail, 0, keep);
        System.arraycopy(buf, from, tail, keep, n);
        tailLen = keep + n;
    }

    /** The size of a literal announced at the end of the last physical line ({n} or {n+}), or -1. */
    private long literalSize() {
        int end = tailLen;
        if (end < 3 || tail[end - 1] != '}') {
            return -1;
        }
        int i = end - 2;
        if (tail[i] == '+') {
            i--;
        }
        int digitsEnd = i + 1;
        while (i >= 0 && tail[i] >= '0' && tail[i] <= '9') {
            i--;
        }
        if (i < 0 || tail[i] != '{' || i + 1 == digitsEnd) {
            return -1;
        }
        return Long.parseLong(new String(tail, i + 1, digitsEnd - i - 1, StandardCharsets.US_ASCII));
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            if (pos == lim) {
                fill();
            }
            int k = (int) Math.min(n, lim - pos);
            pos += k;
            n -= k;
        }
    }

    private void fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n < 0) {
            throw new ProtocolException("connection closed by the server");
        }
        pos = 0;
        lim = n;
        bytesRead += n;
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
