/**
 * The IMAP codec: a byte-level command receiver that frames lines and literals and checks limits
 * before anything is buffered, an argument reader for the grammar of RFC 3501 section 9 (and RFC 9051),
 * typed fetch attributes, sequence sets, dates, modified UTF-7 mailbox names, and a response writer.
 * No OSGi, no sockets, no storage: everything here works on bytes and is unit-tested as such.
 * Instances are not thread-safe; a session owns its own.
 *
 * <p>Roles: the server calls this package and implements nothing of it; its classes are final, its
 * interfaces sealed and its values records, so no type carries {@code @ProviderType} or
 * {@code @ConsumerType} (nothing outside could implement one). The version below is checked against
 * the last release by bnd's baseline at every build (see the README, "Releasing and API versions");
 * since the server switches over {@link posthorn.imap.protocol.FetchAttribute} and
 * {@link posthorn.imap.protocol.CommandReceiver.Event} exhaustively, a new kind of either needs a major
 * version, even where bnd would accept a minor one for an added type.
 *
 * <p>3.0.0 added the fetch attributes {@link posthorn.imap.protocol.FetchAttribute.SaveDate} (RFC 8514),
 * {@link posthorn.imap.protocol.FetchAttribute.EmailId}, {@link posthorn.imap.protocol.FetchAttribute.ThreadId}
 * (RFC 8474) and {@link posthorn.imap.protocol.FetchAttribute.Preview} (RFC 8970): new kinds of a sealed
 * interface the server switches over, hence a major version.
 *
 * <p>2.1.0 added {@link posthorn.imap.protocol.ResponseWriter#holding()}: whether written responses
 * wait for a flush, for a session that flushes once per pipelined batch of commands.
 *
 * <p>2.2.0 added {@link posthorn.imap.protocol.ImapUrl}: IMAP URLs naming a message or a part of one
 * (RFC 5092, with RFC 4467's URLAUTH and RFC 5550's URL-PARTIAL), for CATENATE, GENURLAUTH and URLFETCH.
 *
 * <p>3.0.0 also added {@link posthorn.imap.protocol.FetchAttribute.ModSeq} (RFC 7162 CONDSTORE's MODSEQ): a
 * new kind of fetch attribute, hence a major version.
 */
@Version("3.0.0")
@Export
package posthorn.imap.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
