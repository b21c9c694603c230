package posthorn.auth.sql.internal;

import java.util.List;

/** The accounts every database under test holds. Hashes made by libxcrypt (Debian's crypt(3)). */
final class Fixtures {

    /** A row of the users table and the password that logs it in (null: none does). */
    record User(String id, String crypt, String clear, int uid, String password) {
    }

    /** 72 bytes: all of a password that bcrypt reads. */
    static final String PW72 = "0123456789".repeat(7) + "01";

    static final List<User> USERS = List.of(
            new User("alice", "$6$feswk62hPRChb5w.$Ous4szoizXpVV8DB76xDy4WW53J/Kuj5OVBHFzYpvILpAN9ds/1dvK1vofmvnYqdmldHOXpPp0rhjTwLb69Ww0",
                    null, 1001, "s3cret-sha512"),
            new User("bob", "$5$UC1/HHcXlgz9Von7$hhlmEXijwDH.iiwA5co6Ey79aWX6T5jPrzvL/c3OBP5", null, 1002, "s3cret-sha256"),
            new User("carol", "$1$iQjBkgiP$beUU1ZA/LBuBvzts2EBpc.", null, 1003, "s3cret-md5"),
            new User("dave", "$2b$05$LYtzieS3.bLzyuad5uIrSevs0pfIHM/p71y0OyQ3pp8A.YmX07bRy", null, 1004, "s3cret-bf"),
            new User("erin", "1PINqvLM3pL92", null, 1005, "s3cret-des"),
            // clear only: what CRAM-MD5 needs
            new User("frank", null, "clear-pw", 1006, "clear-pw"),
            // an empty crypt falls back to the clear password, as Courier does
            new User("gina", "", "gina's pw", 1007, "gina's pw"),
            new User("admin", null, "admin-pw", 1008, "admin-pw"),
            new User("locked", "!$6$feswk62hPRChb5w.$Ous4szoizXpVV8DB76xDy4WW53J/Kuj5OVBHFzYpvILpAN9ds/1dvK1vofmvnYqdmldHOXpPp0rhjTwLb69Ww0",
                    "locked-clear", 1009, null),
            new User("yes", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$rcY.sqsUoG/SGw/FPteloCsldYkxZWdAV7MUEZonz53", null, 1010, null),
            new User("nopw", null, null, 1011, null),
            new User("joe@example.org", null, "joe-pw", 1012, "joe-pw"),
            // bcrypt of these 72 bytes, by libxcrypt, which would take them followed by anything
            new User("long", "$2b$05$uX7MnliOm15CRoC0P8q5CupVlLovwmz6ZUqMSOUJLfLh4IYjoCCna", null, 1013, PW72),
            new User("umlaut", null, "clear pw ü", 1014, "clear pw ü"));

    private Fixtures() {
    }
}
