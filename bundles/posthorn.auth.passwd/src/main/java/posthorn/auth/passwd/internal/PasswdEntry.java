package posthorn.auth.passwd.internal;

import java.nio.file.Path;

/**
 * One line of passwd(5): {@code name:password:uid:gid:gecos:home:shell}. Immutable.
 *
 * @param password the passwd file's password field: {@code x} when the hash is in shadow, or the
 *                 hash itself on a system without shadow passwords
 */
record PasswdEntry(String name, String password, long uid, long gid, String gecos, Path home, String shell) {

    @Override
    public String toString() {
        return "PasswdEntry[" + name + ", uid " + uid + "]"; // the password field may be a hash
    }
}
