"""The fixture and the generated conversations of the differential conformance harness
(integration-tests/clients/conformance.py).

A conversation is a list of commands, each one line as a client sends it, with its tag. Notation:
  {{text}}   a synchronizing literal holding text (the harness sends {n}, waits for '+', sends text)
  {{+text}}  a non-synchronizing literal (LITERAL+, RFC 7888)
  <<+>>      end of line, then wait for a continuation request (IDLE ... <<+>>DONE)
  inside {{...}}: \\r \\n \\t \\\\ \\xHH are escapes; [[N*TEXT]] is TEXT N times, %n in it the
             repetition's number (a big literal on one line)
  after a COMPRESS DEFLATE answered OK both directions are raw deflate (RFC 4978); the harness
  compresses what it sends and inflates what it reads, and compares the inflated responses
Every conversation starts authenticated, nothing selected, on a fresh copy of the fixture. Commands
are sent one at a time. Hand-written conversations live in *.imapc beside this file ('=== name',
then commands; '!skip REASON' leaves one out with its reason).

Left out of every conversation: QUOTA and ACL (being added by other work), IMAP4rev2 (Dovecot
2.3.19 does not implement it: ENABLE IMAP4rev2 answers OK without '* ENABLED'), and extensions only
one side announces (CONDSTORE, QRESYNC, CATENATE, URLAUTH, ...); NOTIFY's single-session
answers are notify.imapc's.
"""

# folder -> messages: (file, Maildir flags, in new/?, day after 2021-01-01 = INTERNALDATE, CRLF?)
# Files are from integration-tests/conformance/messages, else the MIME corpus of the server's tests
# (bundles/posthorn.imap.server/src/test/resources/mime); stored with LF, as MDAs write them, unless
# CRLF is set.
FOLDERS = {
    "INBOX": [
        ("simple.eml", "S", False, 0, False),          # 1
        ("alternative.eml", "", False, 3, False),      # 2
        ("nested.eml", "FS", False, 5, False),         # 3
        ("addresses.eml", "RS", False, 10, False),     # 4
        ("search1.eml", "S", False, 14, False),        # 5
        ("rfc2231.eml", "DS", False, 20, False),       # 6
        ("search2.eml", "", False, 31, False),         # 7
        ("eightbit.eml", "T", False, 40, False),       # 8
        ("rfc822top.eml", "S", False, 45, False),      # 9
        ("search3.eml", "FRS", False, 59, False),      # 10
        ("more.eml", "", True, 60, True),              # 11
        ("headeronly.eml", "", True, 61, False),       # 12
        ("emptybody.eml", "", True, 62, False),        # 13
    ],
    "Sent": [
        ("oddaddr.eml", "S", False, 2, False),
        ("groupempty.eml", "S", False, 4, False),
    ],
    "Archive": [],
    "Archive.2024": [
        ("badtypes.eml", "S", False, 7, False),
    ],
    "Trash": [],
    "Caf&AOk-": [],  # modified UTF-7 of Café (RFC 3501 5.1.3)
}
N_INBOX = len(FOLDERS["INBOX"])
# Folder names on disk where they differ from the IMAP name: UTF-8 (Courier-IMAP 5, Posthorn, and
# Dovecot with :UTF-8 in mail_location)
DISK_NAMES = {"Caf&AOk-": "Café"}


def generate():
    """Yields (name, commands, skip reason or None)."""
    for gen in (fetch_conversations, seqset_conversations, search_conversations, store_conversations,
                list_conversations, status_conversations, copy_move_conversations,
                mailbox_conversations, append_conversations, empty_conversations, bad_conversations):
        yield from gen()


def tagged(commands):
    """Gives each command a tag t1, t2, ... unless it has one ('=' prefix: sent as it is)."""
    out = []
    for i, c in enumerate(commands, 1):
        out.append(c[1:] if c.startswith("=") else "t%d %s" % (i, c))
    return out


def conv(name, commands, skip=None):
    return name, tagged(commands), skip


def entries(table):
    """A table's rows: a row is a value, or (value, reason) for a row left out with its reason."""
    for row in table:
        yield (row[0], row[1]) if isinstance(row, tuple) else (row, None)


# Reasons shared by several rows. Each names the rule and what each server does.
DOVECOT_LENIENT = ("Dovecot accepts what the RFC 3501 grammar (section 9) forbids here; Posthorn answers "
                   "BAD as the grammar asks")


# --- FETCH: every attribute and section form on every INBOX message ---------------------------

FETCH_GROUPS = {
    "static": ["ENVELOPE", "BODYSTRUCTURE", "BODY", "RFC822.SIZE", "INTERNALDATE", "UID", "FLAGS"],
    "macros": ["ALL", "FAST", "FULL", "(FLAGS UID)", "(UID RFC822.SIZE INTERNALDATE ENVELOPE)"],
    # BINARY.SIZE[] is left out: Dovecot 2.3 on a Maildir stored with LF answers the size on disk
    # (670 for message 2) while the BINARY[] it sends has CRLF (707 bytes); RFC 3516 4.2 defines
    # BINARY.SIZE as the size of what BINARY[] returns.
    "whole": ["BODY.PEEK[]", "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]", "RFC822.HEADER"],
    "fields": ["BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]", "BODY.PEEK[HEADER.FIELDS (from subject date)]",
               "BODY.PEEK[HEADER.FIELDS.NOT (FROM SUBJECT)]", "BODY.PEEK[HEADER.FIELDS (X-NONE)]",
               "BODY.PEEK[HEADER.FIELDS (\"Subject\" {{+To}})]",
               "BODY.PEEK[HEADER.FIELDS.NOT (Received Message-ID Content-Type)]"],
    "parts": ["BODY.PEEK[1]", "BODY.PEEK[1.MIME]", "BODY.PEEK[2]", "BODY.PEEK[2.MIME]", "BODY.PEEK[1.1]",
              "BODY.PEEK[1.2]", "BODY.PEEK[3]", "BODY.PEEK[3.HEADER]", "BODY.PEEK[3.TEXT]", "BODY.PEEK[3.1]",
              "BODY.PEEK[1.HEADER]", "BODY.PEEK[1.TEXT]", "BODY.PEEK[3.HEADER.FIELDS (SUBJECT)]",
              "BODY.PEEK[2.1]", "BODY.PEEK[4]", "BODY.PEEK[1.1.1]"],
    "partial": ["BODY.PEEK[]<0.10>", "BODY.PEEK[]<10.20>", "BODY.PEEK[TEXT]<3.7>", "BODY.PEEK[HEADER]<0.1>",
                "BODY.PEEK[]<100000.5>", "BODY.PEEK[1]<2.5>", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]<2.4>"],
    # BODY[TEXT]<0.0> is left out: RFC 3501 9 section-partial = "<" number "." nz-number ">", so
    # Posthorn answers BAD; Dovecot sends an empty string (see bad_conversations).
}
# BINARY (RFC 3516) on the leaf parts of each message (computed from the message: see leaf_sections)
# and on the whole message (every base64/quoted-printable leaf decoded, its Content-Transfer-Encoding
# rewritten to binary, as Dovecot 2.3 does; conformance/binary.imapc has more, multipart and
# message/rfc822 parts and UNKNOWN-CTE among them). Left out: BINARY.SIZE[] of these LF-stored
# messages (see "whole" above); BINARY[TEXT] (not in RFC 3516's section-binary grammar: Posthorn
# BAD, Dovecot answers).


def leaf_sections(fname):
    """IMAP section numbers (RFC 3501 6.4.5) of the parts of a message that are neither multipart
    nor message/*, down to two levels."""
    import email
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, "messages"),
              os.path.join(here, "..", "..", "bundles", "posthorn.imap.server", "src", "test", "resources", "mime")):
        if os.path.exists(os.path.join(d, fname)):
            with open(os.path.join(d, fname), "rb") as f:
                msg = email.message_from_bytes(f.read())
            break
    out = []

    def walk(part, prefix):
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            for i, sub in enumerate(part.get_payload(), 1):
                if isinstance(sub, email.message.Message):
                    walk(sub, prefix + [str(i)])
        elif part.get_content_maintype() not in ("message", "multipart") and len(prefix) <= 2:
            out.append(".".join(prefix))

    walk(msg, [])
    return ["1"] if out == [""] else [x for x in out if x]


# Message 12 is all header (no blank line, no final line end). For HEADER.FIELDS and .NOT Dovecot
# answers one way when such a message is stored with CRLF (the fields, no blank line: what Posthorn
# answers either way; see the MIME fixture headeronly.expected) and another when it is stored with LF
# (a blank line added to .FIELDS, the last line end dropped from .NOT). RFC 3501 6.4.5 does not say.
FETCH_SKIP = {("fields", 12): "Dovecot 2.3.19's HEADER.FIELDS of a message that is all header depends on "
                              "whether the file has CRLF or LF (see the comment above FETCH_SKIP)"}


def fetch_conversations():
    for seq in range(1, N_INBOX + 1):
        for group, items in FETCH_GROUPS.items():
            yield conv("fetch-%s-%d" % (group, seq), ["EXAMINE INBOX"] + ["FETCH %d %s" % (seq, i) for i in items],
                       FETCH_SKIP.get((group, seq)))
        leaves = leaf_sections(FOLDERS["INBOX"][seq - 1][0])
        if leaves:
            yield conv("fetch-binary-%d" % seq, ["EXAMINE INBOX"]
                       + ["FETCH %d (BINARY.PEEK[%s] BINARY.SIZE[%s])" % (seq, s, s) for s in leaves]
                       + ["FETCH %d BINARY.PEEK[%s]<0.4>" % (seq, leaves[0]), "FETCH %d BINARY.SIZE[%s]" % (seq, leaves[-1]),
                          "FETCH %d BINARY.PEEK[]" % seq])
    # \Seen set by a non-PEEK fetch on a read-write mailbox, not on a read-only one (RFC 3501 6.4.5)
    for item in ("BODY[]", "BODY[TEXT]", "RFC822", "RFC822.TEXT", "BODY[1]", "BINARY[1]", "BODY[HEADER]",
                 "RFC822.HEADER", "BODY[]<0.5>"):
        key = item.replace("[", "_").replace("]", "").replace("<", "_").replace(">", "")
        yield conv("fetch-sets-seen-%s" % key, ["SELECT INBOX", "FETCH 2 (FLAGS)", "FETCH 2 %s" % item,
                                                 "FETCH 2 (FLAGS)", "UID FETCH 7 (%s FLAGS)" % item,
                                                 "FETCH 7 FLAGS"])
        yield conv("fetch-examine-keeps-seen-%s" % key, ["EXAMINE INBOX", "FETCH 2 %s" % item, "FETCH 2 (FLAGS)"])
    # UID FETCH adds UID; several messages and attributes at once
    yield conv("fetch-uid-adds-uid", ["EXAMINE INBOX", "UID FETCH 1:3 FLAGS", "UID FETCH 2 (RFC822.SIZE)",
                                      "UID FETCH 4,2 (UID)", "FETCH 1:13 (UID RFC822.SIZE FLAGS)"])


# --- Sequence sets: *, 1:*, reversed ranges, UID ranges beyond the last -------------------------

SEQSETS = ["1", "*", "1:*", "*:1", "5:2", "2:5", "13", "13:*", "*:13", "2,4,6", "1,1,1", "3:3", "1:2,12:*",
           "4,2:3,1", "14", "0", "1:14", "14:*", "2:0", "-1", "1:", "1,", ":2", "1.5", "a", "1:*,*"]
# UID STORE of a keyword ($X) to no message is left out of UIDSETS: Dovecot adds the keyword to the
# mailbox's FLAGS anyway, Posthorn announces keywords that messages carry (RFC 3501 7.2.6 allows
# both); \Flagged is stored instead.
UIDSETS = ["1", "*", "1:*", "100:*", "*:100", "5:2", "12:20", "14", "20:30", "0", "1:0", "4294967295",
           "4294967296", "3,99,1"]


SEQSET_COMMANDS = {"fetch": "FETCH %s (UID)", "search": "SEARCH %s", "store": "STORE %s +FLAGS (\\Flagged)",
                   "copy": "COPY %s Trash"}
SEQSET_SKIP = {
    "1,": DOVECOT_LENIENT + " (sequence-set = (seq-number / seq-range) [\",\" sequence-set])",
    ("14:*", "search"): "RFC 3501 9 asks for BAD when a sequence number exceeds the messages (14 of 13); "
                        "neither does it in SEARCH: Dovecot matches nothing, Posthorn reads 14:* as 13:14 "
                        "and matches 13",
}


def seqset_conversations():
    for i, s in enumerate(SEQSETS):
        for verb, command in SEQSET_COMMANDS.items():
            skip = SEQSET_SKIP.get(s) or SEQSET_SKIP.get((s, verb))
            yield conv("seqset-%s-%d" % (verb, i), ["SELECT INBOX", "FETCH 1:* (FLAGS)", command % s,
                                                    "FETCH 1:* (FLAGS)"], skip)
    for i, s in enumerate(UIDSETS):
        yield conv("uidset-%d" % i, ["SELECT INBOX", "UID FETCH %s (FLAGS)" % s, "UID SEARCH UID %s" % s,
                                     "UID STORE %s +FLAGS.SILENT (\\Flagged)" % s, "UID COPY %s Trash" % s,
                                     "STATUS Trash (MESSAGES UIDNEXT)"])


# --- SEARCH: every key, NOT/OR nesting, charsets ------------------------------------------------

DATED = "1,4,5,7,10,11"
SEARCH_KEYS = [
    "ALL", "ANSWERED", "UNANSWERED", "DELETED", "UNDELETED", "DRAFT", "UNDRAFT", "FLAGGED", "UNFLAGGED",
    "SEEN", "UNSEEN", "RECENT", "OLD", "NEW", "KEYWORD $X", "UNKEYWORD $X",
    ("KEYWORD \\Seen", DOVECOT_LENIENT + " (flag-keyword = atom; a backslash is not an atom character)"),
    "BEFORE 15-Jan-2021", "ON 15-Jan-2021", "SINCE 15-Jan-2021", "SINCE 1-Jan-2030", "BEFORE 1-Feb-2021",
    "ON 4-Jan-2021",
    # SENT* only over the messages with a Date: header (DATED): for one without, RFC 3501 6.4.4 says
    # nothing; Dovecot takes the date as 1970, Posthorn the INTERNALDATE as RFC 5256 does for SORT.
    DATED + " SENTBEFORE 1-Jan-2021", DATED + " SENTON 15-Jan-2021", DATED + " SENTSINCE 1-Mar-2021",
    DATED + " SENTON 1-Jan-2021", DATED + " SENTSINCE 1-Dec-2026", DATED + " NOT SENTBEFORE 15-Jan-2021",
    "FROM carol", "FROM CAROL", "FROM example", "FROM \"Carol Jones\"", "FROM juergen", "FROM jürgen",
    "TO carol", "TO frank", "TO \"Frank\"", "CC erin", "CC friends", "BCC dave", "BCC eve",
    "SUBJECT meeting", "SUBJECT \"Meeting agenda\"", "SUBJECT re:", "SUBJECT café", "SUBJECT Caf",
    "SUBJECT hello", "SUBJECT \"\"", "SUBJECT {{agenda}}",
    "BODY budget", "BODY bananas", "BODY crème", "BODY \"plain message\"", "BODY html", "BODY nothing-here",
    "TEXT budget", "TEXT agenda", "TEXT carol", "TEXT JVBERi0xLjQK", "TEXT \"\"",
    "HEADER Message-ID agenda", "HEADER X-Priority 1", "HEADER X-Priority \"\"", "HEADER x-priority \"\"",
    "HEADER Content-Type multipart", "HEADER Subject Hello", "HEADER References parent",
    "LARGER 1000", "SMALLER 200", "LARGER 0", "SMALLER 0", "LARGER 4294967295",
    "UID 1:5", "UID 3,7", "UID *", "UID 5:2", "1:5", "*", "5:2", "2,4",
    "NOT SEEN", "NOT NOT SEEN", "OR SEEN FLAGGED", "OR (SEEN FLAGGED) DELETED", "NOT OR SEEN DELETED",
    "OR OR SEEN FLAGGED DRAFT", "(SEEN FLAGGED)", "((SEEN))", "SEEN NOT FLAGGED SINCE 1-Jan-2021",
    ("OR NOT SEEN NOT FLAGGED", "Dovecot 2.3.19 leaves out message 1 (\\Seen, not \\Flagged, so NOT FLAGGED "
                                "holds): a Dovecot bug; Posthorn answers 1 2 4 5 6 7 8 9 11 12 13"),
    "NOT (OR SEEN FLAGGED)", ("OR NOT FLAGGED NOT SEEN", "the same Dovecot bug as OR NOT SEEN NOT FLAGGED"),
    "OR NOT DRAFT SEEN", ("OR UNSEEN UNFLAGGED", "the same Dovecot bug as OR NOT SEEN NOT FLAGGED"),
    "UNFLAGGED", ("OR (NOT SEEN) (NOT FLAGGED)", "the same Dovecot bug as OR NOT SEEN NOT FLAGGED"),
    "OR UNSEEN DRAFT", "OR UNDELETED UNFLAGGED", "OR FROM carol TO carol", "1:3 SEEN", "SEEN 1:3",
    "CHARSET UTF-8 SUBJECT café", "CHARSET US-ASCII SUBJECT meeting", "CHARSET utf-8 BODY bananas",
    "CHARSET UTF-8 FROM {{jürgen}}", "CHARSET ISO-8859-1 SUBJECT Caf",
    # answered NO [BADCHARSET] or BAD
    "CHARSET X-UNKNOWN SUBJECT x", "FOO",
    ("SINCE 32-Jan-2021", "date-day = 1*2DIGIT admits 32 (RFC 3501 9) but no such day exists; Dovecot "
                          "matches nothing, Posthorn answers BAD; the RFC does not say"),
    "SINCE 2021-01-01", "LARGER x",
    "OR SEEN", "NOT", "()", "(SEEN", "UID", "HEADER Subject", "KEYWORD", "KEYWORD \\Bad(",
    "ALL ALL", "seen", "Or SeEn FlAgGeD",
]


def search_conversations():
    setup = ["SELECT INBOX", "STORE 2,5 +FLAGS ($X)"]
    # both orders of the operands, to show the Dovecot bug of the first is not about order
    for i, (key, skip) in enumerate(entries(SEARCH_KEYS)):
        yield conv("search-%d" % i, setup + ["SEARCH %s" % key, "UID SEARCH %s" % key], skip)
    yield conv("search-after-expunge", ["SELECT INBOX", "STORE 1,3 +FLAGS (\\Deleted)", "EXPUNGE",
                                        "SEARCH ALL", "SEARCH DELETED", "UID SEARCH ALL", "SEARCH 2:4"])
    yield conv("search-examine-recent", ["EXAMINE INBOX", "SEARCH RECENT", "SEARCH NEW", "SEARCH OLD"])


# --- STORE: every form --------------------------------------------------------------------------

STORE_FLAGS = ["(\\Seen)", "\\Seen", "(\\Seen \\Flagged)", "\\Seen \\Flagged", "()", "($Work)",
               "$Work \\Answered", "(\\Draft $a $b)",
               ("(\\Recent)", "RFC 3501 2.3.2: \\Recent cannot be altered by the client, and no RFC says how "
                              "to answer an attempt: Dovecot answers BAD, Posthorn ignores the flag"),
               "(\\Foo)", "(\\Deleted)", "(\\seen)", "(NonJunk)"]


def store_conversations():
    for op in ("FLAGS", "+FLAGS", "-FLAGS", "FLAGS.SILENT", "+FLAGS.SILENT", "-FLAGS.SILENT"):
        for j, (fl, skip) in enumerate(entries(STORE_FLAGS)):
            name = "store-%s-%d" % (op.replace("+", "plus").replace("-", "minus").replace(".", "-"), j)
            # The keywords are made known first (stored on message 13 and taken off again): Dovecot
            # announces a keyword in FLAGS when a STORE names it, even -FLAGS or a STORE that sets it
            # on no message; Posthorn when a message has it (RFC 3501 7.2.6 allows both).
            yield conv(name, ["SELECT INBOX", "STORE 13 +FLAGS.SILENT ($Work $a $b NonJunk)",
                              "STORE 13 -FLAGS.SILENT ($Work $a $b NonJunk)", "FETCH 1:5 FLAGS", "STORE 3:4 %s %s" % (op, fl), "FETCH 1:5 FLAGS",
                              "UID STORE 1,4 %s %s" % (op, fl), "FETCH 1:5 (FLAGS)"], skip)
    yield conv("store-examine-refused", ["EXAMINE INBOX", "STORE 1 +FLAGS (\\Seen)", "FETCH 1 FLAGS"],
               "RFC 9051 6.3.3 forbids changes in a mailbox selected with EXAMINE but names no answer: "
               "Dovecot answers OK 'Store ignored with read-only mailbox', Posthorn NO [CANNOT]")
    yield conv("store-bad-forms", ["SELECT INBOX", "STORE 1 +FLAGS (\\Seen",
                                   "STORE 1 *FLAGS (\\Seen)", "STORE 1 FLAGS.LOUD (\\Seen)", "STORE 1",
                                   "STORE (\\Seen)", "STORE 1 +FLAGS ((\\Seen))", "FETCH 1 FLAGS"])
    yield conv("store-bad-lenient", ["SELECT INBOX", "STORE 1 FLAGS", "STORE 1 +FLAGS (\\Seen) x", "FETCH 1 FLAGS"],
               DOVECOT_LENIENT + " (store-att-flags needs a flag list or flags; a list is not followed by flags)")
    yield conv("store-then-expunge", ["SELECT INBOX", "STORE 1:3 +FLAGS.SILENT (\\Deleted)", "EXPUNGE",
                                      "FETCH 1:* (UID FLAGS)", "STORE 1 -FLAGS \\Seen", "NOOP"])


# --- LIST / LSUB -------------------------------------------------------------------------------

LIST_ARGS = ['"" ""', '"" *', '"" %', '"" INBOX', '"" inbox', '"" %.%', '"" Archive.%', '"" Archive*',
             '"" Archive.*', '"" *2024', '"" A%', '"" a*', 'Archive. %', 'Archive. *', 'Archive *',
             '"" Sent', '"" NoSuch', '"" NoSuch*', '"" Caf&AOk-', '"" {{Sent}}', '{{}} {{*}}', '"" "%"',
             '"" INBOX*', '"" INBOX.*', '"" Trash%', '"" *%', '"" %*', '"" .', 'NoSuch. %', 'Archive "%"',
             '"" "Archive.2024"', '"" Archive.2024.%', '"" %Arch%', '~ *', '"" #news.*']


def list_conversations():
    for i, args in enumerate(LIST_ARGS):
        yield conv("list-%d" % i, ["LIST %s" % args])
        yield conv("lsub-%d" % i, ["SUBSCRIBE Archive.2024", "SUBSCRIBE Sent", "SUBSCRIBE INBOX",
                                   "LSUB %s" % args, "UNSUBSCRIBE Sent", "LSUB %s" % args])
    yield conv("list-extended", ['LIST (SUBSCRIBED) "" *', 'LIST (SUBSCRIBED RECURSIVEMATCH) "" %',
                                 'LIST (SUBSCRIBED) "" Archive.*', 'LIST (SUBSCRIBED) "" NoSuch'])
    yield conv("list-extended-return", ['LIST "" * RETURN (CHILDREN)', 'LIST "" (INBOX Sent)',
                                        'LIST "" * RETURN (SUBSCRIBED)', 'SUBSCRIBE Sent', 'LIST (SUBSCRIBED) "" *',
                                        'LIST (SUBSCRIBED RECURSIVEMATCH) "" %'],
               "extended LIST without RETURN (SPECIAL-USE): Posthorn adds the RFC 6154 attributes and "
               "\\HasChildren/\\HasNoChildren, Dovecot neither; RFC 5258 4 and RFC 6154 2 allow both")
    yield conv("lsub-nonexistent", ["SUBSCRIBE NoSuch", "LSUB \"\" *", "LIST (SUBSCRIBED) \"\" *",
                                    "UNSUBSCRIBE NoSuch", "LSUB \"\" *"],
               "RFC 3501 6.3.6: a server MAY check that the mailbox exists: Dovecot refuses, Posthorn subscribes")


# --- STATUS ------------------------------------------------------------------------------------

STATUS_ITEMS = ["(MESSAGES)", "(RECENT)", "(UIDNEXT)", "(UIDVALIDITY)", "(UNSEEN)",
                "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)", "(UNSEEN MESSAGES)", "()", "(FOO)",
                "MESSAGES", "(messages)", "(SIZE)"]


def status_conversations():
    for i, folder in enumerate(("INBOX", "Sent", "Archive", "Archive.2024", "Trash", "NoSuch", "inbox",
                                "\"Caf&AOk-\"", "{{Sent}}")):
        for j, items in enumerate(STATUS_ITEMS):
            yield conv("status-%d-%d" % (i, j), ["STATUS %s %s" % (folder, items)])
    yield conv("status-selected", ["SELECT INBOX", "STATUS INBOX (MESSAGES UNSEEN)",
                                   "STORE 2 +FLAGS (\\Seen)", "STATUS INBOX (UNSEEN)"])
    yield conv("status-selected-recent", ["SELECT INBOX", "STATUS INBOX (RECENT)", "FETCH 11:* FLAGS"])


# --- COPY / MOVE / EXPUNGE / UID EXPUNGE ---------------------------------------------------------



def copy_move_conversations():
    targets = ["Trash", "Sent", "NoSuch", "INBOX", "Archive.2024", "{{Trash}}", "\"Trash\""]
    for i, t in enumerate(targets):
        yield conv("copy-%d" % i, ["SELECT INBOX", "COPY 2:3 %s" % t, "UID COPY 5,7 %s" % t,
                                   "STATUS Trash (MESSAGES UIDNEXT UNSEEN)", "SELECT Trash",
                                   "FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)"])
        yield conv("move-%d" % i, ["SELECT INBOX", "MOVE 2:3 %s" % t, "FETCH 1:* (UID)", "UID MOVE 5,7 %s" % t,
                                   "FETCH 1:* UID", "SELECT Trash", "FETCH 1:* (UID FLAGS)"])
    yield conv("move-all", ["SELECT INBOX", "MOVE 1:* Trash", "FETCH 1:* UID", "SELECT Trash",
                            "FETCH 1:* (UID FLAGS)"])
    yield conv("copy-examine", ["EXAMINE INBOX", "COPY 1 Trash", "FETCH 1 UID"])
    yield conv("move-examine", ["EXAMINE INBOX", "MOVE 1 Trash", "FETCH 1 UID"],
               "MOVE from a mailbox selected with EXAMINE: Dovecot 2.3.19 moves the message (expunging from a "
               "read-only mailbox, against RFC 6851 3.3 and RFC 9051 6.3.3); Posthorn answers NO [CANNOT]")
    yield conv("expunge-forms", ["SELECT INBOX", "EXPUNGE", "STORE 2,4,6 +FLAGS (\\Deleted)", "EXPUNGE",
                                 "FETCH 1:* UID", "STORE 1:* +FLAGS (\\Deleted)", "UID EXPUNGE 1:5",
                                 "FETCH 1:* UID", "UID EXPUNGE 100:200", "UID EXPUNGE *", "EXPUNGE",
                                 "FETCH 1:* UID"])
    yield conv("expunge-examine", ["EXAMINE INBOX", "EXPUNGE", "UID EXPUNGE 1:*", "FETCH 8 FLAGS"],
               "RFC 9051 6.3.3 forbids changes in a mailbox selected with EXAMINE but names no answer to "
               "EXPUNGE: Dovecot answers OK (nothing expunged), Posthorn NO [CANNOT]")
    yield conv("close-expunges", ["SELECT INBOX", "STORE 1 +FLAGS (\\Deleted)", "CLOSE",
                                  "STATUS INBOX (MESSAGES)", "SELECT INBOX", "FETCH 1 UID"])
    yield conv("unselect-keeps", ["SELECT INBOX", "STORE 1 +FLAGS (\\Deleted)", "UNSELECT",
                                  "STATUS INBOX (MESSAGES)", "FETCH 1 UID"])
    yield conv("close-examine-keeps", ["EXAMINE INBOX", "CLOSE", "STATUS INBOX (MESSAGES)", "CLOSE"])


# --- CREATE / RENAME / DELETE / SUBSCRIBE ---------------------------------------------------------

MAILBOX_SKIP = {
    "delete-with-children-kept": "RFC 3501 6.3.4: DELETE of a mailbox with inferiors keeps them; Posthorn "
                                 "leaves the name \\Noselect (as the RFC's example), Dovecot on Maildir++ "
                                 "keeps it selectable and empty",
    "delete-selected": "DELETE of the selected mailbox: Posthorn answers NO [INUSE], Dovecot deletes it and "
                       "ends the session with BYE; RFC 3501 6.3.4 does not say",
    "rename-inbox": "RFC 3501 6.3.5 defines RENAME INBOX (its messages move, INBOX stays): Posthorn does it, "
                    "Dovecot 2.3 on Maildir++ answers NO [CANNOT]",
    "rename-under-itself": "RENAME Archive Archive.Sub: Dovecot refuses (NO), Posthorn renames the subtree "
                           "and leaves Archive \\Noselect; RFC 3501 6.3.5 does not forbid it",
    "subscribe-then-delete": "LSUB of a subscribed name whose mailbox is gone: Posthorn answers \\Noselect, "
                             "Dovecot (); RFC 3501 6.3.9 defines no attribute for it",
    "subscribe-then-rename": "as subscribe-then-delete (the subscribed old name no longer exists)",
}


def mailbox_conversations():
    cases = {
        "create-simple": ["CREATE Work", "LIST \"\" *", "SELECT Work", "STATUS Work (MESSAGES UIDNEXT)"],
        "create-hierarchy": ["CREATE Work.2024.Q1", "LIST \"\" Work*", "CREATE Work.2024", "CREATE Work"],
        "create-trailing-sep": ["CREATE Projects.", "LIST \"\" Projects*", "CREATE Projects"],
        "create-existing": ["CREATE Sent", "CREATE sent", "CREATE INBOX", "CREATE inbox", "CREATE Archive"],
        "create-odd-names": ["CREATE \"with space\"", "CREATE {{lit}}", "CREATE \"a%b\"",
                             "CREATE \"a*b\"", "CREATE &AOk-t&AOk-", "CREATE &Jjo-!", "CREATE .hidden",
                             "CREATE a..b", "LIST \"\" *"],
        "create-under-inbox": ["CREATE INBOX.Sub", "LIST \"\" *", "LIST \"\" INBOX*"],
        "delete-simple": ["DELETE Trash", "LIST \"\" *", "DELETE Trash", "DELETE NoSuch"],
        "delete-with-children-kept": ["DELETE Archive", "LIST \"\" Archive*", "SELECT Archive", "DELETE Archive.2024",
                                 "DELETE Archive", "LIST \"\" Archive*"],
        "delete-inbox": ["DELETE INBOX", "DELETE inbox", "LIST \"\" INBOX"],
        "delete-selected": ["SELECT Sent", "DELETE Sent", "NOOP", "LIST \"\" *"],
        "rename-simple": ["RENAME Sent Outbox", "LIST \"\" *", "STATUS Outbox (MESSAGES)", "SELECT Outbox",
                          "FETCH 1:* (UID FLAGS)"],
        "rename-hierarchy": ["RENAME Archive Old", "LIST \"\" *", "STATUS Old.2024 (MESSAGES)"],
        "rename-into-new-parent": ["RENAME Sent Box.Sent", "LIST \"\" *"],
        "rename-to-existing": ["RENAME Sent Trash", "RENAME NoSuch Other", "RENAME Sent Sent"],
        "rename-inbox": ["RENAME INBOX Old-Inbox", "LIST \"\" *", "STATUS INBOX (MESSAGES)",
                         "STATUS Old-Inbox (MESSAGES)", "SELECT INBOX"],
        "rename-child-up": ["RENAME Archive.2024 2024", "LIST \"\" *"],
        "rename-under-itself": ["RENAME Archive Archive.Sub", "LIST \"\" *"],
        "subscribe-forms": ["SUBSCRIBE Sent", "SUBSCRIBE \"Sent\"", "SUBSCRIBE {{Trash}}",
                            "LSUB \"\" *", "UNSUBSCRIBE Sent", "UNSUBSCRIBE Sent", "UNSUBSCRIBE Never",
                            "LSUB \"\" *"],
        "subscribe-then-delete": ["SUBSCRIBE Trash", "DELETE Trash", "LSUB \"\" *", "LIST \"\" *"],
        "subscribe-then-rename": ["SUBSCRIBE Sent", "RENAME Sent Outbox", "LSUB \"\" *"],
        "select-forms": ["SELECT inbox", "SELECT \"INBOX\"", "SELECT {{INBOX}}", "SELECT NoSuch", "FETCH 1 UID",
                         "SELECT Sent", "EXAMINE Sent", "SELECT Archive", "SELECT Caf&AOk-"],
        "select-then-fail": ["SELECT INBOX", "SELECT NoSuch", "FETCH 1 UID", "CLOSE"],
        "examine-forms": ["EXAMINE INBOX", "EXAMINE Sent", "EXAMINE Archive.2024", "FETCH 1 (FLAGS)"],
        "namespace": ["NAMESPACE"],
        "noop-check": ["NOOP", "SELECT INBOX", "NOOP", "CHECK", "UNSELECT", "CHECK"],
        "logout": ["LOGOUT"],
        "capability-shape": ["CAPABILITY"],
        "enable-unknown": ["ENABLE FOO", "ENABLE X-NO-SUCH=EXTENSION", "ENABLE foo bar"],
    }
    for name, commands in cases.items():
        skip = MAILBOX_SKIP.get(name)
        if name == "namespace":
            skip = ("Posthorn's store keeps ACLs, so it announces the shared namespace (RFC 2342 other users'), "
                    "which this fixture's Dovecot has no configuration for; e2e_shared.py compares NAMESPACE "
                    "with Dovecot configured with the same shared namespace, byte for byte")
        yield conv(name, commands, skip)
    # mailbox = "INBOX" / astring admits "" (RFC 3501 9): NO, not BAD (Posthorn answered BAD before)
    yield conv("create-empty-name", ["CREATE \"\"", "RENAME Sent \"\"", "CREATE {{}}", "NOOP"])
    yield conv("select-empty-name", ["SELECT \"\"", "STATUS \"\" (MESSAGES)", "DELETE {{}}", "RENAME \"\" x", "NOOP"],
               "an empty name to look up: Dovecot answers NO [CANNOT], Posthorn NO [NONEXISTENT] (as for any "
               "name not valid in modified UTF-7, issue 11 item 3); RFC 5530 3 fits both")
    yield conv("subscribe-nonexistent", ["SUBSCRIBE NoSuch", "LSUB \"\" *", "UNSUBSCRIBE NoSuch"],
               "RFC 3501 6.3.6: a server MAY check that the mailbox exists: Dovecot refuses, Posthorn subscribes")
    yield conv("enable-empty", ["ENABLE", "NOOP"], DOVECOT_LENIENT + " (enable = \"ENABLE\" 1*(SP capability), "
                                                                  "RFC 5161 4)")


# --- APPEND --------------------------------------------------------------------------------------

MSG = "From: a@example.org\\r\\nSubject: appended\\r\\n\\r\\nbody\\r\\n"


def append_conversations():
    forms = [
        "INBOX {{%s}}" % MSG,
        "INBOX (\\Seen) {{%s}}" % MSG,
        ("INBOX \\Seen {{%s}}" % MSG, "append = \"APPEND\" SP mailbox [SP flag-list] ... (RFC 3501 9): "
                                      "a flag list without parentheses is a syntax error; Posthorn answers BAD, "
                                      "Dovecot 2.3.19 waits for more input and never answers"),
        "INBOX () {{%s}}" % MSG,
        "INBOX (\\Seen \\Flagged $Label) {{%s}}" % MSG,
        ("INBOX (\\Recent) {{%s}}" % MSG, "RFC 3501 2.3.2: \\Recent cannot be set by the client, and no RFC "
                                         "says how to answer an attempt: Dovecot answers BAD, Posthorn ignores the flag"),
        "INBOX \"01-Feb-2021 10:00:00 +0000\" {{%s}}" % MSG,
        "INBOX \" 1-Feb-2021 10:00:00 +0100\" {{%s}}" % MSG,
        "INBOX (\\Draft) \"28-Feb-2021 23:59:59 -0800\" {{%s}}" % MSG,
        "INBOX \"1-Feb-2021 10:00:00 +0000\" {{%s}}" % MSG,
        ("INBOX \"31-Feb-2021 10:00:00 +0000\" {{%s}}" % MSG,
         "the grammar admits day 31 of February (date-day-fixed = (SP DIGIT) / 2DIGIT); Dovecot appends with "
         "the current time, Posthorn answers BAD; the RFC does not say"),
        "INBOX \"01-Feb-2021\" {{%s}}" % MSG,
        "INBOX {{+%s}}" % MSG,
        "Sent {{%s}}" % MSG,
        "{{Sent}} {{%s}}" % MSG,
        "NoSuch {{%s}}" % MSG,
        "INBOX {{}}",
        ("INBOX {{From: x\\n\\nbare LF\\n}}",
         "a message APPENDed with bare LFs: Posthorn keeps its bytes (stored byte for byte so that BINARY and "
         "BODY[] give back what was appended, issue 11 item 4; RFC 3501 6.3.11 asks for no conversion), "
         "Dovecot's Maildir serves every LF as CRLF"),
        "INBOX {{no header at all}}",
        "INBOX \"quoted message\"",
        "INBOX",
        ("INBOX (\\Seen", "an unclosed flag list: Posthorn answers BAD; Dovecot 2.3.19 waits for the rest and "
                           "then answers the next command with an untagged BAD"),
        ("INBOX (\\Seen) x {{%s}}" % MSG, "a syntax error (date-time must be quoted): Posthorn answers BAD, "
                                          "Dovecot 2.3.19 waits for more input and never answers"),
    ]
    for i, (f, skip) in enumerate(entries(forms)):
        yield conv("append-%d" % i, ["APPEND %s" % f, "STATUS INBOX (MESSAGES UIDNEXT RECENT UNSEEN)",
                                     "EXAMINE INBOX", "FETCH 14:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY[])"], skip)
    yield conv("append-selected", ["SELECT INBOX", "APPEND INBOX (\\Seen) {{%s}}" % MSG, "NOOP",
                                   "FETCH 14 (UID FLAGS)", "APPEND Trash {{%s}}" % MSG, "NOOP"])


# --- * and 1:* on an empty mailbox ----------------------------------------------------------------

def empty_conversations():
    cmds = ["FETCH * UID", "FETCH 1:* UID", "FETCH 1 UID", "UID FETCH * UID", "UID FETCH 1:* UID",
            "SEARCH ALL", "SEARCH *", "UID SEARCH 1:*", "UID SEARCH UID *", "STORE 1:* +FLAGS (\\Seen)",
            "UID STORE * +FLAGS (\\Seen)", "COPY 1:* Sent", "UID COPY 1:* Sent", "MOVE * Sent", "EXPUNGE",
            "UID EXPUNGE 1:*"]
    for i, c in enumerate(cmds):
        yield conv("empty-%d" % i, ["SELECT Trash", c, "NOOP"])
    yield conv("empty-select", ["SELECT Trash", "EXAMINE Archive", "STATUS Trash (MESSAGES UIDNEXT UNSEEN RECENT)"])


# --- Syntax errors: BAD; commands of the wrong state ----------------------------------------------

BAD = ["FETCH 1 UID", "NOSUCHCOMMAND", "SELECT", ("SELECT INBOX extra", DOVECOT_LENIENT), "LIST", "LIST \"\"",
       "STATUS INBOX", "STATUS INBOX (MESSAGES", "CREATE", "RENAME Sent", "DELETE", "SUBSCRIBE",
       "APPEND", "EXAMINE", "LOGIN user pw", "AUTHENTICATE PLAIN", "STARTTLS", "UID FETCH 1 UID",
       "UID", "UID NOSUCH 1", "EXPUNGE", "CLOSE", "UNSELECT", "SEARCH ALL", "STORE 1 FLAGS (\\Seen)",
       "COPY 1 Sent", "CHECK", ("NOOP extra", DOVECOT_LENIENT), ("CAPABILITY extra", DOVECOT_LENIENT),
       ("LOGOUT extra", DOVECOT_LENIENT), "SELECT \"INBOX", ("SELECT {{+INBOX}} x", DOVECOT_LENIENT), "select inbox",
       "Select InBox", "LIST \"\" \"*", "CREATE \"a\\\"b\"",
       ("CREATE \"a\\b\"", DOVECOT_LENIENT + " (quoted-specials: only \\\\ and \\\" may follow a backslash)"),
       ("NAMESPACE x", DOVECOT_LENIENT)]


# RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+">, ASTRING-CHAR = ATOM-CHAR / resp-specials
TAG_ENDS = ("the tag ends at the first character a tag may not hold: Dovecot answers '* BAD', Posthorn "
            "'<the tag so far> BAD'; RFC 3501 does not say which")
BAD_TAGS = ["+", ("a(b", TAG_ENDS), ("a%b", TAG_ENDS), ("a*b", TAG_ENDS), ("a\"b", TAG_ENDS), ("a\\b", TAG_ENDS),
            "a.b-c_d", "1",
            ("a{1}", "the tag ends at '{' (not an ASTRING-CHAR): Dovecot answers '* BAD', Posthorn 'a BAD' "
                     "(the tag as far as it goes); RFC 3501 does not say which"),
            ("a]b", "']' is an ASTRING-CHAR, so a]b is a valid tag (RFC 3501 9): Posthorn answers it, Dovecot "
                    "2.3.19 answers '* BAD' and then stops reading")]


def bad_conversations():
    for i, (c, skip) in enumerate(entries(BAD)):
        yield conv("state-or-syntax-%d" % i, [c, "NOOP"], skip)
    yield conv("fetch-partial-zero", ["EXAMINE INBOX", "FETCH 1 BODY.PEEK[TEXT]<0.0>", "NOOP"],
               DOVECOT_LENIENT + " (section-partial = \"<\" number \".\" nz-number \">\")")
    yield conv("fetch-binary-text", ["EXAMINE INBOX", "FETCH 1 BINARY.PEEK[TEXT]", "NOOP"],
               "RFC 3516 section-binary has no TEXT: Posthorn answers BAD, Dovecot the decoded text")
    yield conv("bad-spacing", ["=a1  NOOP", "=a2 NOOP ", "=a3 SELECT  INBOX", "=a4 FETCH 1  UID",
                               "=a5 SELECT INBOX", "=a6 FETCH 1 (UID  FLAGS)", "=a7 FETCH 1 ( UID)",
                               "=a8 FETCH 1 (UID )", "=a9 FETCH  1 UID"],
               DOVECOT_LENIENT + " (one SP between the parts of a command, none inside parentheses)")
    for i, (t, skip) in enumerate(entries(BAD_TAGS)):
        yield conv("bad-tag-%d" % i, ["=%s NOOP" % t, "NOOP"], skip)
    yield conv("bad-rev2-in-rev1", ["SELECT INBOX", "FETCH 1 (UID) (x)",
                                    "SEARCH RETURN (ALL) ALL", "SEARCH RETURN (MIN MAX COUNT) SEEN",
                                    "UID SEARCH RETURN () ALL", "SEARCH RETURN (SAVE) 1:3", "FETCH $ UID"])
    # (FETCH ... (CHANGEDSINCE 1) is left out: Dovecot announces CONDSTORE, Posthorn does not.)
