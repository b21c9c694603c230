package posthorn.store.api;

import org.osgi.annotation.versioning.ProviderType;

/** A registration for change notices ({@link Mailbox#watch}); closing it ends the notices. */
@ProviderType
public interface Watch extends AutoCloseable {
    @Override
    void close();
}
