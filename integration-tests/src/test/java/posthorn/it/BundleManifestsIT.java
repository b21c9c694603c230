package posthorn.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rules of DESIGN.md that a manifest shows, checked on the jars the reactor built (outside any
 * framework, on the JUnit Platform's Jupiter engine): no bundle imports another's internal package,
 * SLF4J is imported as 2.x (so that it never wires to an SLF4J 1.7 such as Pax Exam's
 * pax-logging-api, where SLF4J 2 calls would fail), and every exported package has a version.
 */
class BundleManifestsIT {
    private static final Pattern VERSION_RANGE = Pattern.compile("version=\"?\\[?(\\d+)");

    @ParameterizedTest
    @ValueSource(strings = {"posthorn.imap.protocol", "posthorn.store.api", "posthorn.store.maildir",
            "posthorn.auth.api", "posthorn.auth.userdb", PosthornFramework.IMAP_SERVER})
    void manifestFollowsTheDesign(String bsn) throws IOException {
        String jar = PosthornFramework.bundlesOnClassPath().get(bsn);
        assertNotNull(jar, bsn + " on the test class path");
        Manifest manifest;
        try (JarFile file = new JarFile(URI.create(jar).getPath()); InputStream in = file.getInputStream(file.getEntry("META-INF/MANIFEST.MF"))) {
            manifest = new Manifest(in);
        }
        String imports = manifest.getMainAttributes().getValue("Import-Package");
        for (String clause : clauses(imports)) {
            String pkg = clause.split(";", 2)[0];
            assertFalse(pkg.contains(".internal"), bsn + " imports an internal package: " + clause);
            if (pkg.equals("org.slf4j") || pkg.startsWith("org.slf4j.")) {
                Matcher m = VERSION_RANGE.matcher(clause);
                assertTrue(m.find(), bsn + " imports SLF4J without a version: " + clause);
                assertEquals("2", m.group(1), bsn + " imports SLF4J older than 2: " + clause);
            }
        }
        for (String clause : clauses(manifest.getMainAttributes().getValue("Export-Package"))) {
            assertTrue(clause.contains("version="), bsn + " exports a package without a version: " + clause);
            assertFalse(clause.split(";", 2)[0].contains(".internal"), bsn + " exports an internal package: " + clause);
        }
    }

    /** The clauses of an OSGi header, split at the commas outside quotes. */
    static List<String> clauses(String header) {
        List<String> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (char c : header.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                out.add(current.toString().strip());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (!current.isEmpty()) {
            out.add(current.toString().strip());
        }
        return out;
    }
}
