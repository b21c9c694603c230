/**
 * The Maildir++ store's implementation; private to the bundle. Start at {@link
 * posthorn.store.maildir.internal.MaildirStore}.
 */
package posthorn.store.maildir.internal;
