package posthorn.auth.passwd.internal;

/**
 * One line of shadow(5): {@code name:hash:lastchg:min:max:warn:inactive:expire:reserved}. Days are
 * counted from 1970-01-01; an empty field is {@code -1}. Immutable.
 */
record ShadowEntry(String name, String hash, long lastChange, long min, long max, long warn, long inactive,
                   long expire) {

    /** What {@link #status} says of an account's dates, as shadow-utils' isexpired() does. */
    enum Status {
        /** May log in. */
        VALID,
        /** The password is past its maximum age; login(1) would ask for a new one. IMAP lets it in. */
        PASSWORD_EXPIRED,
        /** The password is past its maximum age plus the inactivity period: the account is disabled. */
        INACTIVE,
        /** The account's expiry date has come. */
        ACCOUNT_EXPIRED
    }

    /**
     * The account's status on the given day (days since 1970-01-01, UTC), following shadow-utils'
     * {@code isexpired()}: expired from the expiry day on; inactive from lastchg + max + inactive on.
     */
    Status status(long today) {
        if (expire > 0 && today >= expire) {
            return Status.ACCOUNT_EXPIRED;
        }
        if (lastChange > 0 && max >= 0 && inactive >= 0 && today >= lastChange + max + inactive) {
            return Status.INACTIVE;
        }
        if (lastChange == 0 || (lastChange > 0 && max >= 0 && today >= lastChange + max)) {
            return Status.PASSWORD_EXPIRED;
        }
        return Status.VALID;
    }

    @Override
    public String toString() {
        return "ShadowEntry[" + name + "]"; // never the hash
    }
}
