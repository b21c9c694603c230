package posthorn.store.maildir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.store.api.StoreUser;

/**
 * maildir.cfg with a value that cannot be used, key by key (issue 13: every config value is validated
 * when read): one log line naming the file, the key and the reason; the settings from before stay.
 */
class MaildirConfigTest {

    /** The configuration as DS hands it over from a .cfg file: strings, converted when read. */
    private static MaildirStore.Config config(Map<String, String> values) {
        return (MaildirStore.Config) Proxy.newProxyInstance(MaildirStore.Config.class.getClassLoader(),
                new Class<?>[] {MaildirStore.Config.class}, (proxy, m, args) -> {
                    String v = values.get(m.getName().replace('_', '.'));
                    if (v == null) {
                        return m.getDefaultValue();
                    }
                    if (m.getReturnType() == long.class) {
                        return Long.parseLong(v.trim()); // DS throws when it cannot convert, as this does
                    }
                    if (m.getReturnType() == boolean.class) {
                        return Boolean.parseBoolean(v.trim()); // DS reads anything but "true" as false
                    }
                    return v;
                });
    }

    private static List<String> configure(MaildirStore store, Map<String, String> values) {
        Map<String, Object> props = new HashMap<>(values);
        props.put("service.pid", "maildir");
        props.put("felix.fileinstall.filename", "file:/etc/posthorn/maildir.cfg");
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            store.configure(config(values), props);
        } finally {
            System.setErr(err);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        err.print(text);
        return text.lines().filter(l -> l.contains("maildir.cfg")).toList();
    }

    private static Path maildirOf(MaildirStore store, String user) throws Exception {
        return store.maildirOf(new StoreUser(user, Path.of("/home", user), null, null));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "template      | ''              | template: required",
        "template      | /var/mail/all   | template: names no user",
        "template      | Maildir/%u      | template: not an absolute path",
        "template      | /var/mail/%x    | template: unknown escape %x",
        "template      | /var/mail/%u%   | template: unknown escape %",
        "poll.interval | -1              | poll.interval: must be from 0",
        "poll.interval | 86401           | poll.interval: must be from 0",
        "poll.interval | often           | poll.interval: not a valid value",
        "create        | yes             | create: must be true or false",
        "templte       | /m/%u           | templte: unknown key; did you mean template?",
        "poll_interval | 5               | poll_interval: unknown key; did you mean poll.interval?",
    })
    void aBadValueRefusesTheFileAndTheSettingsFromBeforeStay(String key, String value, String named) throws Exception {
        MaildirStore store = MaildirStore.forTests("/srv/mail/%u");
        try {
            assertEquals(List.of(), configure(store, Map.of("template", "/srv/mail/%u/Maildir", "create", "false"))
                    .stream().filter(l -> l.contains("refused")).toList());
            List<String> lines = configure(store, Map.of(key, value));
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).contains("maildir.cfg refused: " + named), lines.get(0));
            assertTrue(lines.get(0).contains("the previous settings stay in force"), lines.get(0));
            assertEquals(Path.of("/srv/mail/alice/Maildir"), maildirOf(store, "alice"), "the template from before");
        } finally {
            store.deactivate();
        }
    }

    @Test
    void goodValuesAreTakenAndAFarUnknownKeyIsLogged() throws Exception {
        MaildirStore store = MaildirStore.forTests("/srv/mail/%u");
        try {
            List<String> lines = configure(store, Map.of("template", "%h/Mail/%%box", "poll.interval", "0",
                    "create", "TRUE", "colour", "blue"));
            assertEquals(List.of(), lines.stream().filter(l -> l.contains("refused")).toList());
            assertEquals(1, lines.stream().filter(l -> l.contains("maildir.cfg: colour: unknown key, ignored")).count(),
                    lines.toString());
            assertEquals(Path.of("/home/bob/Mail/%box"), maildirOf(store, "bob"));
        } finally {
            store.deactivate();
        }
    }
}
