package posthorn.imap.server.internal.net;

import java.util.List;

/** A cdb as tcprules writes one, for tests outside this package. */
public final class CdbTestAccess {
    private CdbTestAccess() {
    }

    public static byte[] cdb(List<String[]> records) {
        return CdbTest.write(records);
    }
}
