package posthorn.imap.server.internal.admin;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import posthorn.imap.server.admin.AccessRulesView;
import posthorn.imap.server.admin.ConfigReload;
import posthorn.imap.server.internal.ImapServer;
import posthorn.imap.server.internal.net.AccessRule;
import posthorn.imap.server.internal.net.AccessRules;
import posthorn.imap.server.internal.net.RulesFile;

/**
 * The reload operators ask for (SIGHUP, imap:reload) and the view of the access rules. A reload
 * reads every {@code *.cfg} in FileInstall's directory (felix.fileinstall.dir) as FileInstall reads
 * it, and hands each one that differs from its configuration to ConfigurationAdmin at once, as
 * FileInstall would at its next look; the component it configures takes it or refuses it (imapd.cfg's
 * answer is waited for and reported). Then the rules file is read again. Only the names of changed
 * keys are reported and logged, never values: a file may hold a password.
 */
@Component(service = {ConfigReload.class, AccessRulesView.class})
public final class ReloadService implements ConfigReload, AccessRulesView {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadService.class);
    /** FileInstall's key for the file a configuration came from (a file: URI). */
    static final String FILENAME = "felix.fileinstall.filename";
    /** Keys ConfigurationAdmin and FileInstall keep in a configuration beside the file's. */
    private static final Set<String> BOOKKEEPING = Set.of("service.pid", "service.factoryPid", "service.bundleLocation", FILENAME);
    private static final long IMAPD_ANSWER_MS = 5_000;

    @Reference
    ImapServer server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile ConfigurationAdmin configurationAdmin;

    /** The configuration directory; null when FileInstall is not told one (tests). */
    private volatile Path directory;

    @Activate
    void activate(BundleContext context) {
        String dir = context.getProperty("felix.fileinstall.dir");
        directory = dir == null || dir.isBlank() ? null : Path.of(dir);
    }

    /** The configuration directory to read (tests). */
    void directory(Path dir) {
        directory = dir;
    }

    @Override
    public synchronized List<FileOutcome> reload() {
        List<FileOutcome> out = new ArrayList<>();
        Path dir = directory;
        ConfigurationAdmin cm = configurationAdmin;
        if (dir != null && cm != null) {
            Map<Path, Configuration> byFile = new TreeMap<>();
            try {
                Configuration[] all = cm.listConfigurations("(" + FILENAME + "=*)");
                for (Configuration c : all == null ? new Configuration[0] : all) {
                    Path file = path(c);
                    if (file != null) {
                        byFile.put(file, c);
                    }
                }
            } catch (IOException | InvalidSyntaxException e) {
                LOG.warn("reload: cannot list the configurations: {}", e.toString());
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.cfg")) {
                TreeSet<Path> sorted = new TreeSet<>();
                files.forEach(f -> sorted.add(f.toAbsolutePath().normalize()));
                for (Path f : sorted) {
                    out.add(reload(f, byFile.remove(f)));
                }
            } catch (IOException e) {
                out.add(new FileOutcome(dir.toString(), Outcome.REFUSED, "cannot list the directory: " + e.getMessage()));
            }
            Path top = dir.toAbsolutePath().normalize();
            byFile.keySet().stream().filter(f -> f.startsWith(top)).forEach(f ->
                    out.add(new FileOutcome(f.toString(), Outcome.PENDING, "gone; FileInstall removes its configuration")));
        }
        RulesFile.Outcome rules = server.reloadRules();
        String rulesFile = server.config() == null || server.config().rules().isBlank() ? "(rules)" : server.config().rules();
        out.add(new FileOutcome(rulesFile, rules.refused() ? Outcome.REFUSED : rules.changed() ? Outcome.UPDATED : Outcome.UNCHANGED,
                rules.text()));
        for (FileOutcome o : out) {
            String line = o.outcome() + " " + o.file() + (o.detail().isEmpty() ? "" : ": " + o.detail());
            if (o.outcome() == Outcome.REFUSED) {
                LOG.warn("reload: {}", line);
            } else if (o.outcome() != Outcome.UNCHANGED) {
                LOG.info("reload: {}", line);
            }
        }
        LOG.info("reload: {} files read, {} updated, {} refused", out.size(),
                out.stream().filter(o -> o.outcome() == Outcome.UPDATED).count(),
                out.stream().filter(o -> o.outcome() == Outcome.REFUSED).count());
        return List.copyOf(out);
    }

    /** The file FileInstall made a configuration from, or null. */
    private static Path path(Configuration c) {
        Dictionary<String, Object> p = c.getProperties();
        Object file = p == null ? null : p.get(FILENAME);
        if (file == null) {
            return null;
        }
        try {
            return Path.of(URI.create(file.toString())).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private FileOutcome reload(Path f, Configuration c) {
        String name = f.toString();
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            return new FileOutcome(name, Outcome.REFUSED, "cannot read: " + e.getMessage());
        }
        Map<String, String> wanted = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            wanted.put(k, p.getProperty(k).strip());
        }
        if (c == null) {
            return new FileOutcome(name, Outcome.PENDING, "new; FileInstall takes it up within felix.fileinstall.poll");
        }
        Dictionary<String, Object> now = c.getProperties();
        Map<String, String> current = new TreeMap<>();
        if (now != null) {
            for (Enumeration<String> keys = now.keys(); keys.hasMoreElements(); ) {
                String k = keys.nextElement();
                if (!BOOKKEEPING.contains(k)) {
                    current.put(k, String.valueOf(now.get(k)).strip());
                }
            }
        }
        if (current.equals(wanted)) {
            return new FileOutcome(name, Outcome.UNCHANGED, "");
        }
        Set<String> changed = new TreeSet<>();
        for (String k : wanted.keySet()) {
            if (!wanted.get(k).equals(current.get(k))) {
                changed.add(k);
            }
        }
        for (String k : current.keySet()) {
            if (!wanted.containsKey(k)) {
                changed.add(k);
            }
        }
        Hashtable<String, Object> update = new Hashtable<>(wanted);
        update.put(FILENAME, c.getProperties() != null && c.getProperties().get(FILENAME) != null
                ? c.getProperties().get(FILENAME) : f.toFile().toURI().toString());
        boolean imapd = "imapd".equals(c.getPid());
        long before = server.configurations();
        try {
            c.update(update);
        } catch (IOException | RuntimeException e) {
            return new FileOutcome(name, Outcome.REFUSED, "ConfigurationAdmin refused it: " + e);
        }
        String keys = "changed " + String.join(", ", changed);
        if (!imapd) {
            return new FileOutcome(name, Outcome.UPDATED, keys + " (its component checks the values and logs a refusal)");
        }
        long deadline = System.nanoTime() + IMAPD_ANSWER_MS * 1_000_000;
        while (server.configurations() == before && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (server.configurations() == before) {
            return new FileOutcome(name, Outcome.UPDATED, keys + " (handed over; no answer from the server yet)");
        }
        String refusal = server.lastRefusal();
        return refusal == null ? new FileOutcome(name, Outcome.UPDATED, keys)
                : new FileOutcome(name, Outcome.REFUSED, refusal + "; the previous configuration stays in force");
    }

    @Override
    public Rules rules() {
        AccessRules r = server.rules();
        return new Rules(r.source(), r.rules().stream().map(AccessRule::toString).toList(),
                List.copyOf(new TreeSet<>(r.unknownSettings().keySet())));
    }

    @Override
    public Choice choose(String address, String host) {
        if (address == null || !address.matches("[0-9A-Fa-f:.]+") || !(address.contains(".") || address.contains(":"))) {
            throw new IllegalArgumentException("not an IP address: " + address);
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(address); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + address);
        }
        String h;
        if (host == null) {
            h = server.rules().usesHostNames() && server.config() != null
                    ? RulesFile.hostName(a, server.config().rules_dns_timeout()) : null;
        } else {
            h = host.isBlank() ? null : host.strip();
        }
        AccessRules.Choice c = server.rules().choose(a, h);
        AccessRule rule = c.rule();
        return new Choice(AccessRules.text(a), h, rule == null ? null : rule.toString(), rule == null ? 0 : rule.line(),
                c.allowed(), rule == null ? Map.of() : rule.settings());
    }
}
