package posthorn.auth.userdb.internal;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import posthorn.auth.api.UserRecord;

/**
 * One account line of a userdb file: the name and its fields in file order. Immutable.
 *
 * <p>Fields whose name ends in {@code pw} are password fields, as makeuserdb(8) splits them into
 * userdbshadow.dat; they never reach {@link #record()}.
 *
 * @param name   the account name, as written before the tab
 * @param fields every {@code field=value} of the line
 * @param record the account as a {@link UserRecord}: uid, gid, home, mail and quota mapped, the
 *               remaining non-password fields in its options
 */
record UserdbEntry(String name, Map<String, String> fields, UserRecord record) {

    static final String SYSTEMPW = "systempw";
    static final String IMAPPW = "imappw";
    static final String HMAC_MD5PW = "hmac-md5pw";
    /** Courier's per-service form of {@link #HMAC_MD5PW}, preferred over it for IMAP. */
    static final String IMAP_HMAC_MD5PW = "imap-hmac-md5pw";
    static final int HMAC_MD5_STATE_BYTES = 32;

    UserdbEntry {
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /**
     * Builds an entry from parsed fields.
     *
     * @throws IllegalArgumentException with a reason that quotes no field value
     */
    static UserdbEntry of(String name, Map<String, String> fields) {
        long uid = number(fields, "uid");
        long gid = number(fields, "gid");
        for (String key : new String[] {HMAC_MD5PW, IMAP_HMAC_MD5PW}) {
            String hex = fields.get(key);
            if (hex != null && !isHmacState(hex)) {
                throw new IllegalArgumentException(key + " is not " + HMAC_MD5_STATE_BYTES + " hex bytes");
            }
        }
        Map<String, String> options = new LinkedHashMap<>();
        fields.forEach((k, v) -> {
            switch (k) {
                case "uid", "gid", "home", "mail", "quota" -> { }
                default -> {
                    if (!isPasswordField(k)) {
                        options.put(k, v);
                    }
                }
            }
        });
        UserRecord record = new UserRecord(name, path(fields.get("home")), path(fields.get("mail")),
                uid, gid, blankToNull(fields.get("quota")), options);
        return new UserdbEntry(name, fields, record);
    }

    /** The hash LOGIN checks: {@code imappw} if the line has one (even empty), else {@code systempw}. */
    String imapPasswordHash() {
        String imap = fields.get(IMAPPW);
        return imap != null ? imap : fields.get(SYSTEMPW);
    }

    /** The HMAC-MD5 state for CRAM-MD5, {@code imap-hmac-md5pw} before {@code hmac-md5pw}; or null. */
    byte[] hmacMd5State() {
        String hex = fields.get(IMAP_HMAC_MD5PW);
        if (hex == null) {
            hex = fields.get(HMAC_MD5PW);
        }
        return hex == null ? null : HexFormat.of().parseHex(hex);
    }

    static boolean isPasswordField(String field) {
        return field.endsWith("pw");
    }

    private static boolean isHmacState(String hex) {
        if (hex.length() != 2 * HMAC_MD5_STATE_BYTES) {
            return false;
        }
        for (int i = 0; i < hex.length(); i++) {
            if (Character.digit(hex.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static long number(Map<String, String> fields, String key) {
        String v = fields.get(key);
        if (v == null || v.isEmpty()) {
            return -1;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new IllegalArgumentException(key + " is negative");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is not a number");
        }
    }

    private static Path path(String v) {
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return Path.of(v);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("a path field is not a valid path");
        }
    }

    private static String blankToNull(String v) {
        return v == null || v.isEmpty() ? null : v;
    }

    @Override
    public String toString() {
        // fields hold password hashes: never print them
        return "UserdbEntry[" + name + "]";
    }
}
