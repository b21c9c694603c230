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
 *
 * <p>Roles: a store bundle implements the interfaces here ({@link posthorn.store.api.MailStore},
 * {@link posthorn.store.api.UserMail}, {@link posthorn.store.api.Mailbox}, {@link posthorn.store.api.Watch},
 * {@link posthorn.store.api.MessageUpload})
 * and the server calls them, so they are {@code @ProviderType}: a method added to one is a minor
 * change that only stores must follow (they import this package up to the next minor version); the
 * records, {@link posthorn.store.api.Flags} and {@link posthorn.store.api.StoreException} are values
 * both sides share.
 *
 * <p>Optional features are optional sub-interfaces, announced by the server only where the bound store
 * has them: {@link posthorn.store.api.QuotaStore} and {@link posthorn.store.api.QuotaMail} (RFC 9208
 * QUOTA, since 1.2.0).
 *
 * <p>1.3.0 changed what {@link posthorn.store.api.UserMail}'s mailbox names mean (no namespace prefix;
 * see there): a contract change stores must follow, hence a minor version, which a 1.2 store does not
 * import.
 *
 * <p>1.3.0 added the optional ACL sub-interfaces ({@link posthorn.store.api.AclStore},
 * {@link posthorn.store.api.AclMail}, {@link posthorn.store.api.AclEntry}): a store that keeps
 * access control lists implements them, and the server announces ACL only when the bound store does.
 *
 * <p>1.4.0 added {@link posthorn.store.api.AclStore#openShared}: another user's mail for the
 * server's shared namespace, never created.
 *
 * <p>1.5.0 lets {@link posthorn.store.api.MessageMeta#size} be
 * {@link posthorn.store.api.MessageMeta#UNKNOWN_SIZE} (a store need not read every message to open a
 * mailbox) and added {@link posthorn.store.api.Mailbox#sizes} and {@link posthorn.store.api.Mailbox#size}
 * to measure sizes when they are needed, and {@link posthorn.store.api.MessageMeta#withSize}; and
 * {@link posthorn.store.api.MailStore#sizes} (what the store's in-memory index holds, for metrics).
 *
 * <p>1.6.0 added the optional {@link posthorn.store.api.WatchStore} and {@link posthorn.store.api.WatchMail} (with the consumer interface
 * {@link posthorn.store.api.MailListener}): changes to a user's mail beyond the open mailbox (other
 * mailboxes' messages, the hierarchy, subscriptions), made in this process or found on disk, for
 * NOTIFY (RFC 5465).
 *
 * <p>1.6.0 added the optional parts of RFC 5464 METADATA ({@link posthorn.store.api.MetadataStore},
 * {@link posthorn.store.api.MetadataMail}), RFC 8474 OBJECTID ({@link posthorn.store.api.ObjectIdStore},
 * {@link posthorn.store.api.ObjectIdMail}, {@link posthorn.store.api.ObjectIdMailbox}), RFC 8514 SAVEDATE
 * ({@link posthorn.store.api.SaveDateStore}, {@link posthorn.store.api.SaveDateMailbox}) and RFC 6154
 * CREATE-SPECIAL-USE ({@link posthorn.store.api.SpecialUseStore}, {@link posthorn.store.api.SpecialUseMail}).
 *
 * <p>1.6.0 added the optional modification sequences of RFC 7162 (CONDSTORE, QRESYNC):
 * {@link posthorn.store.api.ModSeqStore} and {@link posthorn.store.api.ModSeqMailbox} (HIGHESTMODSEQ,
 * a message's MODSEQ, the UIDs expunged since a MODSEQ, NOMODSEQ).
 *
 * <p>1.6.0 added the optional {@link posthorn.store.api.ArrivalStore} (with its
 * {@link posthorn.store.api.ArrivalStore.Listener}): a store-wide notice that a user's mailbox may have
 * gained or lost messages, for a full-text index kept up to date in the background.
 *
 * <p>1.7.0 added {@link posthorn.store.api.Mailbox#cachedValues}: one cached field of many messages in
 * one call, as the store's own arrays (read-only to the caller), for SORT and THREAD; its default asks
 * {@link posthorn.store.api.Mailbox#cached} for each.
 *
 * <p>The version below is checked against the last release by bnd's baseline at every build (see the
 * README, "Releasing and API versions"). One more rule bnd cannot see: the server switches over
 * {@link posthorn.store.api.Change} exhaustively, so a new kind of change needs a major version,
 * even where bnd would accept a minor one for an added type.
 */
@Version("1.7.0")
@Export
package posthorn.store.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
