package posthorn.imap.server.internal.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import posthorn.imap.protocol.ArgReader;
import posthorn.imap.protocol.ProtocolException;
import posthorn.imap.protocol.ResponseWriter;

/**
 * RETURN options and their ESEARCH answer, table-driven from the RFCs' examples: RFC 4731 3.1,
 * RFC 5267 3 (ESORT) and 4.4 (PARTIAL), RFC 9394 3.1 (PARTIAL from the end), with Dovecot 2.3's
 * answers where it has the extension (checked by integration-tests/conformance/sortsearch.imapc).
 */
class SearchReturnTest {

    private static String answer(String options, boolean uid, boolean sorted, long... result) throws Exception {
        SearchReturn r = SearchReturn.parse(new ArgReader(options.getBytes(StandardCharsets.US_ASCII)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ResponseWriter out = new ResponseWriter(bytes);
        r.esearch(out, "A1", uid, java.util.Arrays.stream(result).boxed().toList(), sorted);
        out.flush();
        return bytes.toString(StandardCharsets.US_ASCII).strip();
    }

    private static final long[] RESULT = {2, 10, 11, 12, 13, 14, 20};
    /** A sorted result: RFC 5267 3's MIN/MAX are its first and last, ALL keeps its order. */
    private static final long[] SORTED = {1, 10, 2, 3, 5, 6, 8, 9, 7, 12, 13, 4, 11};

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // RFC 4731 3.1 and its example: MIN MAX COUNT
        "(MIN MAX COUNT)      | * ESEARCH (TAG \"A1\") UID MIN 2 MAX 20 COUNT 7",
        "()                   | * ESEARCH (TAG \"A1\") UID ALL 2,10:14,20",
        "(ALL)                | * ESEARCH (TAG \"A1\") UID ALL 2,10:14,20",
        // RFC 5267 4.4: PARTIAL 1:3 of the result, and a window beyond it is NIL
        "(PARTIAL 1:3)        | * ESEARCH (TAG \"A1\") UID PARTIAL (1:3 2,10:11)",
        "(PARTIAL 20:30)      | * ESEARCH (TAG \"A1\") UID PARTIAL (20:30 NIL)",
        "(PARTIAL 5:2 COUNT)  | * ESEARCH (TAG \"A1\") UID PARTIAL (2:5 10:13) COUNT 7",
        // RFC 9394 3.1: -1:-100 is the last 100 (here all 7), -3:-1 the same as -1:-3
        "(PARTIAL -1:-100)    | * ESEARCH (TAG \"A1\") UID PARTIAL (-1:-100 2,10:14,20)",
        "(PARTIAL -3:-1)      | * ESEARCH (TAG \"A1\") UID PARTIAL (-1:-3 13:14,20)",
        "(PARTIAL -8:-9 MIN)  | * ESEARCH (TAG \"A1\") UID MIN 2 PARTIAL (-8:-9 NIL)",
        // RFC 5182 2.1 / RFC 5267 4.2: SAVE or UPDATE alone carry no data
        "(UPDATE)             | * ESEARCH (TAG \"A1\") UID",
    })
    void searchAnswers(String options, String expected) throws Exception {
        assertEquals(expected, answer(options, true, false, RESULT));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // RFC 5267 3 (ESORT) with Dovecot's answer to SORT RETURN (MIN MAX COUNT ALL) (DATE) on the harness's INBOX
        "(MIN MAX COUNT ALL)  | * ESEARCH (TAG \"A1\") MIN 1 MAX 11 ALL 1,10,2:3,5:6,8:9,7,12:13,4,11 COUNT 13",
        "(PARTIAL 2:4)        | * ESEARCH (TAG \"A1\") PARTIAL (2:4 10,2:3)",
        "(PARTIAL -1:-2)      | * ESEARCH (TAG \"A1\") PARTIAL (-1:-2 4,11)",
    })
    void sortAnswers(String options, String expected) throws Exception {
        assertEquals(expected, answer(options, false, true, SORTED));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "(FOO)", "(PARTIAL)", "(PARTIAL 0:5)", "(PARTIAL 1:*)", "(PARTIAL -1:5)", "(PARTIAL 5)",
        "(PARTIAL \"1:5\")", "(PARTIAL 1:4294967296)", "(PARTIAL 1:5 PARTIAL 6:9)", "(PARTIAL 1:5 ALL)",
        "(UPDATE UPDATE)", "MIN",
        // RFC 9394 4: nz-number (digit-nz *DIGIT, below 2^32) on both sides, of the same sign
        "(ALL PARTIAL 1:5)", "(PARTIAL -0:-5)", "(PARTIAL -1:-4294967296)", "(PARTIAL 1:-5)", "(PARTIAL 01:5)",
        "(PARTIAL 1:5:7)", "(PARTIAL 1:)", "(PARTIAL :5)", "(PARTIAL 99999999999999999999:1)", "(PARTIAL -1)",
        "(PARTIAL --1:-2)", "(PARTIAL 1,3)",
    })
    void malformedOptionsAreBad(String options) {
        assertThrows(ProtocolException.class,
                () -> SearchReturn.parse(new ArgReader(options.getBytes(StandardCharsets.US_ASCII))));
    }

    /**
     * What SAVE keeps with the other options, RFC 9394 3.2 (its Table 1): "When the SAVE result option
     * is combined with the PARTIAL result option and none of the MIN/MAX/COUNT result options are
     * present, ... the "$" marker would contain references to all messages returned by the PARTIAL
     * result option"; with MIN or MAX and without COUNT, those "together with the corresponding
     * MIN/MAX message"; "combined with the COUNT result option, ... the "$" marker would always
     * contain references to all messages found". Without PARTIAL, RFC 5182 2.1 (MIN/MAX alone).
     * Before this table SAVE PARTIAL with MIN or MAX kept the window alone.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "(SAVE PARTIAL 2:3)            | 10 11",
        "(SAVE PARTIAL 2:3 MIN)        | 2 10 11",
        "(SAVE PARTIAL 2:3 MAX)        | 10 11 20",
        "(SAVE PARTIAL 2:3 MIN MAX)    | 2 10 11 20",
        "(SAVE PARTIAL 1:2 MIN)        | 2 10",
        "(SAVE PARTIAL -1:-2 MIN MAX)  | 2 14 20",
        "(SAVE PARTIAL 20:30 MIN)      | 2",
        "(SAVE PARTIAL 20:30)          | ''",
        "(SAVE PARTIAL 2:3 COUNT)      | 2 10 11 12 13 14 20",
        "(SAVE PARTIAL 2:3 MIN COUNT)  | 2 10 11 12 13 14 20",
        "(SAVE MIN)                    | 2",
        "(SAVE MIN MAX)                | 2 20",
        "(SAVE MAX COUNT)              | 2 10 11 12 13 14 20",
        "(SAVE)                        | 2 10 11 12 13 14 20",
        "(SAVE ALL MIN)                | 2 10 11 12 13 14 20",
    })
    void saved(String options, String expected) throws ProtocolException {
        SearchReturn r = SearchReturn.parse(new ArgReader(options.getBytes(StandardCharsets.US_ASCII)));
        List<Long> uids = java.util.Arrays.stream(RESULT).boxed().toList();
        List<Long> want = expected.isEmpty() ? List.of()
                : java.util.Arrays.stream(expected.split(" ")).map(Long::valueOf).toList();
        assertEquals(want, Search.saved(r, uids));
        // an empty result saves nothing, whatever the options
        assertEquals(List.of(), Search.saved(r, List.of()));
    }

    @ParameterizedTest(name = "{0} of {1}")
    @CsvSource({
        "1:3, 10, 0, 3", "3:1, 10, 0, 3", "9:12, 10, 8, 10", "11:12, 10, 10, 10",
        "-1:-3, 10, 7, 10", "-10:-1, 10, 0, 10", "-12:-11, 10, 0, 0", "-1:-1, 0, 0, 0",
        "4294967295:4294967295, 5, 5, 5",
    })
    void windows(String range, int size, int from, int to) throws ProtocolException {
        assertArrayEquals(new int[] {from, to}, SearchReturn.range(range).window(size));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"1 2 3 7 5 6 | 1:3,7,5:6", "3 2 1 | 3,2,1", "4 | 4"})
    void sortedSetsKeepTheirOrder(String numbers, String expected) {
        List<Long> n = java.util.Arrays.stream(numbers.split(" ")).map(Long::valueOf).toList();
        assertEquals(expected, SearchReturn.set(n, true));
    }
}
