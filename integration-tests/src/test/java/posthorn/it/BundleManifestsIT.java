package posthorn.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.NodeList;

/**
 * The rules of DESIGN.md that a manifest shows, checked on the jars the reactor built (outside any
 * framework, on the JUnit Platform's Jupiter engine): no bundle imports another's internal package,
 * SLF4J is imported as 2.x (so that it never wires to an SLF4J 1.7 such as Pax Exam's
 * pax-logging-api, where SLF4J 2 calls would fail), and every exported package has a version.
 *
 * <p>Every bundle the build makes is checked: the bundles are the {@code posthorn.*} jars on the test
 * class path, and that set must equal the modules of bundles/pom.xml (module name = Bundle-SymbolicName),
 * so a new bundle that is not yet a dependency of integration-tests/pom.xml fails here.
 */
class BundleManifestsIT {
    /** System property (set by the POM): the path of bundles/pom.xml. */
    static final String BUNDLES_POM = "posthorn.it.bundles";

    private static final Pattern VERSION_RANGE = Pattern.compile("version=\"?\\[?(\\d+)");

    @Test
    void everyBundleTheBuildMakesIsOnTheClassPath() throws Exception {
        Set<String> onClassPath = new TreeSet<>(posthornBundles().toList());
        assertEquals(bundleModules(), onClassPath,
                "the posthorn bundles on the test class path are not the modules of bundles/pom.xml:"
                        + " add each missing bundle to integration-tests/pom.xml (as posthorn.auth.ldap is)");
    }

    /**
     * The console's bundle: its commands are a DS component in scope imap over the server's admin
     * API, the only package of the server it imports.
     */
    @Test
    void shellOffersTheImapScopeOverTheAdminApi() throws IOException {
        String jar = PosthornFramework.bundlesOnClassPath().get(PosthornFramework.IMAP_SHELL);
        assertNotNull(jar, "posthorn.imap.shell is on the test class path");
        try (JarFile file = new JarFile(URI.create(jar).getPath())) {
            Manifest manifest;
            try (InputStream in = file.getInputStream(file.getEntry("META-INF/MANIFEST.MF"))) {
                manifest = new Manifest(in);
            }
            List<String> imports = clauses(manifest.getMainAttributes().getValue("Import-Package")).stream()
                    .map(c -> c.split(";", 2)[0]).toList();
            assertTrue(imports.contains("posthorn.imap.server.admin"), "imports " + imports);
            assertTrue(imports.contains("org.apache.felix.service.command"), "imports " + imports);
            assertTrue(imports.stream().filter(p -> p.startsWith("posthorn.")).allMatch(p -> p.equals("posthorn.imap.server.admin")),
                    "imports " + imports);
            String component = new String(file.getInputStream(file.getEntry(
                    "OSGI-INF/posthorn.imap.shell.internal.ImapCommands.xml")).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(component.contains("name=\"osgi.command.scope\" type=\"String\" value=\"imap\""), component);
            Matcher functions = Pattern.compile("name=\"osgi.command.function\" type=\"String\">([^<]*)</property>")
                    .matcher(component);
            assertTrue(functions.find(), component);
            assertEquals(List.of("who", "kick", "backends", "stats", "authtest", "mailboxes", "log"),
                    functions.group(1).lines().map(String::strip).toList());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("posthornBundles")
    void manifestFollowsTheDesign(String bsn) throws IOException {
        String jar = PosthornFramework.bundlesOnClassPath().get(bsn);
        assertFalse(jar.startsWith(PosthornFramework.AMBIGUOUS), bsn + " is on the test class path twice: " + jar);
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
        if (!bsn.equals(PosthornFramework.IMAP_SHELL) && !bsn.equals("posthorn.console")) {
            // Gogo only in the console's bundles (the imap: commands, the remote console that serves
            // Gogo sessions): the core and the backends never depend on it (DESIGN.md).
            for (String clause : clauses(imports)) {
                assertFalse(clause.startsWith("org.apache.felix.service.command") || clause.startsWith("org.apache.felix.gogo"),
                        bsn + " imports Gogo: " + clause);
            }
        }
        for (String clause : clauses(manifest.getMainAttributes().getValue("Export-Package"))) {
            assertTrue(clause.contains("version="), bsn + " exports a package without a version: " + clause);
            assertFalse(clause.split(";", 2)[0].contains(".internal"), bsn + " exports an internal package: " + clause);
        }
    }

    /** Bundle-SymbolicNames of our jars on the test class path, sorted. */
    static Stream<String> posthornBundles() {
        Map<String, String> jars = PosthornFramework.bundlesOnClassPath();
        return jars.keySet().stream().filter(bsn -> bsn.startsWith("posthorn.")).sorted();
    }

    /** The modules bundles/pom.xml lists: the bundles the build makes. */
    static Set<String> bundleModules() throws Exception {
        String pom = System.getProperty(BUNDLES_POM);
        assertNotNull(pom, "system property " + BUNDLES_POM + " (set by integration-tests/pom.xml)");
        NodeList modules = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Path.of(pom).toFile()).getElementsByTagName("module");
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < modules.getLength(); i++) {
            String name = modules.item(i).getTextContent().strip();
            // A module whose parent is not this POM (posthorn.auth.support) is a library the
            // bundles inline, not a bundle: bnd never makes a manifest for it.
            NodeList parent = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(Path.of(pom).resolveSibling(name).resolve("pom.xml").toFile())
                    .getElementsByTagName("parent");
            if (parent.getLength() == 1 && ((org.w3c.dom.Element) parent.item(0)).getElementsByTagName("artifactId")
                    .item(0).getTextContent().strip().equals("bundles")) {
                names.add(name);
            }
        }
        assertFalse(names.isEmpty(), "no modules in " + pom);
        return names;
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
