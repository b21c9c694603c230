package posthorn.imap.server.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import posthorn.store.api.MailStore;
import posthorn.store.api.Mailbox;
import posthorn.store.api.UserMail;

/**
 * A store wrapper that counts how often a message file is opened ({@link Mailbox#openMessage}) through
 * it, and otherwise passes every call on: over {@link MemoryStore} it shows which commands read
 * messages and which are served from the index. The user's mail and mailboxes it hands out are
 * wrapped the same way, keeping every store.api interface the wrapped object has.
 */
final class CountingStore {
    final AtomicInteger opens = new AtomicInteger();
    /** The mailbox handle opened last, for a test that damages its cached values. */
    final AtomicReference<Mailbox> lastMailbox = new AtomicReference<>();

    private CountingStore() {
    }

    /** A counter and the store to hand to the server in place of {@code store}. */
    static CountingStore over(MailStore store, AtomicReference<MailStore> wrapped) {
        CountingStore c = new CountingStore();
        wrapped.set(c.wrap(store));
        return c;
    }

    @SuppressWarnings("unchecked")
    private <T> T wrap(T target) {
        Set<Class<?>> types = new LinkedHashSet<>();
        for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                types.add(i);
            }
        }
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("openMessage")) {
                opens.incrementAndGet();
            }
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (result instanceof Mailbox m) {
                Mailbox w = wrap(m);
                lastMailbox.set(m);
                return w;
            }
            if (result instanceof UserMail u) {
                return wrap(u);
            }
            return result;
        };
        return (T) Proxy.newProxyInstance(getClass().getClassLoader(), types.toArray(new Class<?>[0]), h);
    }
}
