/**
 * The IMAP codec: a byte-level command receiver that frames lines and literals and checks limits
 * before anything is buffered, an argument reader for the grammar of RFC 3501 section 9 (and RFC 9051),
 * typed fetch attributes, sequence sets, dates, modified UTF-7 mailbox names, and a response writer.
 * No OSGi, no sockets, no storage: everything here works on bytes and is unit-tested as such.
 * Instances are not thread-safe; a session owns its own.
 */
@Version("1.2.0")
@Export
package posthorn.imap.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
