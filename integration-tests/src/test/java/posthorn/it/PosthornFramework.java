package posthorn.it;

import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackage;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Manifest;

import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;

/**
 * The Felix framework the in-framework tests run in: the server's bundles as the runtime has them
 * (runtime/posthorn.bndrun), minus FileInstall, metatype and Gogo, plus Jakarta Mail for the client.
 *
 * <p>Bundles are found by Bundle-SymbolicName among the jars on the test class path, so the
 * framework runs exactly the jars the reactor built (a {@code mvn:} URL would read ~/.m2, which may
 * hold an older build) and the POM's dependencies stay the one list of versions.
 *
 * <p>Start levels follow cnf/runtime.bnd, for the same reason (TOOLCHAIN.md, gotcha 1): SPI Fly
 * must be active before slf4j-api is first used, and Logback must be started so that SPI Fly
 * has registered it as the SLF4J provider, or SLF4J binds to NOP for the life of the framework;
 * its configuration, posthorn.logging, is a fragment installed with it.
 * Unlike the runtime, SLF4J starts at level 1 (after ASM and SPI Fly, by install order): Pax Exam
 * installs its own bundles first, at level 2, and they log as they start. Pax Exam's SLF4J 1.7
 * (pax-logging-api) is left out with {@code -Dpax.exam.logging=none} (set in the POM): slf4j-api 2
 * also exports org.slf4j as 1.7.36, so Pax Exam's bundles log through the same Logback.
 *
 * <p>The framework runs in the test JVM (Pax Exam's native container), whose class path holds
 * the same jars again. Felix's implicit boot delegation would let a bundle's class loader find
 * resources there when the JDK asks for them, as ServiceLoader does: slf4j-api then found the
 * class path's SLF4J provider first ("SimpleServiceProvider not a subtype"), skipped the bundle's
 * provider of the same name and fell back to NOP. So implicit boot delegation is off.
 *
 * <p>Runs outside the framework, in the test JVM: only {@code @Configuration} methods call it.
 */
final class PosthornFramework {
    /** The bundle the tests start themselves once configuration is in place. */
    static final String IMAP_SERVER = "posthorn.imap.server";
    /** System property: the location of the server bundle, for the tests to install. */
    static final String IMAP_SERVER_LOCATION = "posthorn.it.imap.server";
    /** The console's commands: they need the server's admin package, so they come after it. */
    static final String IMAP_SHELL = "posthorn.imap.shell";
    /** System property: the location of the shell bundle, for the tests that use it to install. */
    static final String IMAP_SHELL_LOCATION = "posthorn.it.imap.shell";

    /** System property (set by the POM): a directory for test files, under target/. */
    static final String WORKDIR = "posthorn.it.workdir";

    static final String AMBIGUOUS = "ambiguous: ";

    private static final String[][] LEVELS = {
            {"1", "org.objectweb.asm", "org.objectweb.asm.commons", "org.objectweb.asm.tree",
                    "org.objectweb.asm.tree.analysis", "org.objectweb.asm.util",
                    "org.apache.aries.spifly.dynamic.bundle", "slf4j.api", "ch.qos.logback.core", "posthorn.logging",
                    "ch.qos.logback.classic"},
            {"3", "org.apache.felix.configadmin", "org.osgi.util.function", "org.osgi.util.promise",
                    "org.osgi.util.converter", "org.osgi.service.component",
                    "org.apache.commons.commons-codec", "bcprov", "bcutil", "bcpkix", "org.apache.felix.gogo.runtime"},
            {"4", "org.apache.felix.scr",
                    "jakarta.activation-api", "angus-activation", "jakarta.mail-api", "org.eclipse.angus.mail",
                    "posthorn.imap.protocol", "posthorn.store.api", "posthorn.auth.api",
                    "posthorn.store.maildir", "posthorn.store.fts", "posthorn.auth.userdb", "posthorn.auth.passwd", IMAP_SERVER, IMAP_SHELL},
    };

    private PosthornFramework() {
    }

    static Option[] options() {
        Map<String, String> jars = bundlesOnClassPath();
        List<Option> options = new ArrayList<>();
        options.add(bootDelegationPackage("com.sun.*"));
        options.add(frameworkProperty("felix.bootdelegation.implicit").value("false"));
        String workdir = System.getProperty(WORKDIR);
        if (workdir != null) {
            // Felix's bundle cache, otherwise in /tmp; Pax Exam deletes it when the framework stops.
            options.add(workingDirectory(workdir + "/pax-exam"));
        }
        for (String[] level : LEVELS) {
            int startLevel = Integer.parseInt(level[0]);
            for (int i = 1; i < level.length; i++) {
                String location = jars.get(level[i]);
                if (location == null) {
                    throw new IllegalStateException("bundle " + level[i] + " is not on the test class path;"
                            + " add it to integration-tests/pom.xml");
                }
                if (location.startsWith(AMBIGUOUS)) {
                    throw new IllegalStateException("bundle " + level[i] + " is on the test class path twice: "
                            + location.substring(AMBIGUOUS.length()));
                }
                if (level[i].equals(IMAP_SERVER)) {
                    // It listens as soon as it is active, on the default port unless configured:
                    // the tests configure it first and then install it (an installed bundle that is
                    // not started stays unresolved, which Pax Exam would report as an error).
                    options.add(systemProperty(IMAP_SERVER_LOCATION).value(location));
                } else if (level[i].equals(IMAP_SHELL)) {
                    options.add(systemProperty(IMAP_SHELL_LOCATION).value(location));
                } else if (level[i].equals("posthorn.logging")) {
                    options.add(bundle(location).startLevel(startLevel).start(false)); // a fragment: attached, not started
                } else {
                    options.add(bundle(location).startLevel(startLevel));
                }
            }
        }
        options.add(junitBundles());
        return CoreOptions.options(options.toArray(Option[]::new));
    }

    /**
     * Bundle-SymbolicName to file URL of every jar on the class path that is a bundle. A name found
     * in two jars maps to a value starting with {@link #AMBIGUOUS}: which of two versions runs must
     * not depend on class path order.
     */
    static Map<String, String> bundlesOnClassPath() {
        Map<String, String> found = new LinkedHashMap<>();
        try {
            Enumeration<URL> manifests = PosthornFramework.class.getClassLoader().getResources("META-INF/MANIFEST.MF");
            while (manifests.hasMoreElements()) {
                URL url = manifests.nextElement();
                if (!url.getProtocol().equals("jar")) {
                    continue; // a directory (target/classes of a module not packaged): not installable
                }
                String bsn;
                try (InputStream in = url.openStream()) {
                    bsn = new Manifest(in).getMainAttributes().getValue("Bundle-SymbolicName");
                }
                if (bsn == null) {
                    continue;
                }
                bsn = bsn.split(";", 2)[0].strip();
                String jar = url.getPath().substring(0, url.getPath().indexOf("!/"));
                String before = found.putIfAbsent(bsn, jar);
                if (before != null && !before.equals(jar)) {
                    found.put(bsn, AMBIGUOUS + before + " and " + jar);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }
}
