/**
 * The store SPI: what the IMAP server needs from a mail store, in UIDs only.
 *
 * <p>A store never sees IMAP syntax and never sees sequence numbers; the server keeps each
 * session's UID-to-sequence view and turns {@link posthorn.store.api.Change change records}
 * into untagged responses. A store implementation registers one {@link posthorn.store.api.MailStore}
 * service; the server binds exactly one.
 *
 * <p>Threading: a {@link posthorn.store.api.MailStore} is shared by all sessions and must be
 * thread-safe. A {@link posthorn.store.api.Mailbox} handle belongs to one session and is used by one
 * thread at a time; several handles on the same mailbox may be open at once, in this process and in
 * others (another server, an MDA, Courier's imapd), and the store keeps them consistent.
 */
@Version("1.1.0")
@Export
package posthorn.store.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
