package posthorn.store.api;

/** How STORE applies its flag list (RFC 3501 6.4.6): FLAGS, +FLAGS, -FLAGS. */
public enum FlagMode {
    REPLACE, ADD, REMOVE
}
