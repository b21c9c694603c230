package posthorn.imap.server.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The INPROGRESS response code (RFC 9585), rule by rule. Before this table the session quoted every
 * tag (a tag with "]" ended the response code early: {@code [INPROGRESS ("a]b" ...)]}, a tag over
 * 1,000 bytes became a literal inside the brackets) and sent a GOAL equal to or below PROGRESS.
 */
class InProgressTest {

    @ParameterizedTest(name = "{0} {1}/{2}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
        // RFC 9585 4, the examples "* OK [INPROGRESS ("tag" 175 1000)]" and "("tag" 175 NIL)"
        "tag     | 175  | 1000 | INPROGRESS (\"tag\" 175 1000)",
        "tag     | 175  | 0    | INPROGRESS (\"tag\" 175 NIL)",
        "A001    | 0    | 3000 | INPROGRESS (\"A001\" 0 3000)",
        // 4: "If the tag ... contains the "]" character, it MUST be set to NIL"
        "a]b     | 5    | 10   | INPROGRESS (NIL 5 10)",
        "]       | 5    | 10   | INPROGRESS (NIL 5 10)",
        // 5: inprogress-tag = quoted / nil: what a quoted string cannot carry is NIL
        "a\"b    | 5    | 10   | INPROGRESS (NIL 5 10)",
        "a\\b    | 5    | 10   | INPROGRESS (NIL 5 10)",
        "tägg    | 5    | 10   | INPROGRESS (NIL 5 10)",
        // 4: PROGRESS "MUST be non-negative"
        "t       | -1   | 10   | INPROGRESS (\"t\" 0 10)",
        // 4: GOAL "MUST be greater than PROGRESS"; "SHOULD NOT send ... where PROGRESS equals GOAL"
        "t       | 10   | 10   | null",
        "t       | 11   | 10   | null",
        "t       | 9    | 10   | INPROGRESS (\"t\" 9 10)",
        // 4: GOAL "MUST be positive"; unknown is NIL
        "t       | 9    | -5   | INPROGRESS (\"t\" 9 NIL)",
    })
    void code(String tag, long done, long total, String expected) {
        assertEquals(expected, InProgress.code(tag, done, total));
    }

    @org.junit.jupiter.api.Test
    void longTagIsNil() {
        String quoted = "t".repeat(InProgress.MAX_QUOTED_TAG);
        assertEquals("INPROGRESS (\"" + quoted + "\" 1 2)", InProgress.code(quoted, 1, 2));
        assertEquals("INPROGRESS (NIL 1 2)", InProgress.code(quoted + "t", 1, 2));
    }
}
