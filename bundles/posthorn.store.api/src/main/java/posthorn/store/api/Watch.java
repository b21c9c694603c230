package posthorn.store.api;

/** A registration for change notices ({@link Mailbox#watch}); closing it ends the notices. */
public interface Watch extends AutoCloseable {
    @Override
    void close();
}
