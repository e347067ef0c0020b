package eventbooking.devtools;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TimeZone;
import java.util.function.Function;

import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import io.netty.channel.Channel;

/**
 * Local MongoDB-compatible server for development and tests.
 *
 * <pre>java -jar local-mongo.jar --port N --backend memory|h2 [--data DIR_OR_FILE] [--commit ack|background] [--fsync] [--format bson|java]</pre>
 *
 * With h2, a write is acknowledged once the store file holds it ({@code --commit ack}, the default:
 * it survives a kill of this process), unless its write concern says {@code j: false}, which is
 * acknowledged once applied and committed by the next commit (see CommitGate); {@code --fsync}
 * also forces each commit to the disk (it survives a power loss). {@code --commit background} is
 * the library's own behaviour, a commit about once a second, kept to measure the difference. The
 * h2 store writes documents, their ids and unique-index keys as BSON ({@link BsonValues});
 * {@code --format java} writes them with Java serialization as the library does, also kept to
 * measure the difference (either reads both).
 *
 * Prints "LISTENING 127.0.0.1:PORT" once it accepts connections and exits when stdin reaches EOF,
 * so it never outlives the process that started it.
 */
public final class LocalMongo {

    /** The library's newest ServerVersion is 5.0 with wire version 8; PyMongo 4.x now requires 9+ (MongoDB 4.4+). */
    private static final MongoVersion MONGO_6_0 = new MongoVersion() {
        @Override public List<Integer> getVersionArray() { return List.of(6, 0, 0); }
        @Override public int getWireVersion() { return 17; }
    };

    private static final String H2_FILE_NAME = "local-mongo.mv.db";

    /** Event-loop threads when writes wait for commits; 0 is netty's default, two per core. */
    private static final int WAITING_EVENT_LOOP_THREADS = 64;

    private static final String USAGE = "usage: java -jar local-mongo.jar --port N --backend memory|h2"
        + " [--data DIR_OR_FILE] [--commit ack|background] [--fsync] [--format bson|java]";

    /** Commands that never change the store: they neither wait for a commit nor hold one back. */
    private static final Set<String> READ_ONLY = Set.of(
        "find", "getmore", "count", "distinct", "listcollections", "listindexes", "listdatabases",
        "hello", "ismaster", "ping", "buildinfo", "whatsmyuri", "killcursors", "endsessions",
        "serverstatus", "dbstats", "collstats", "getlasterror", "getparameter", "getcmdlineopts",
        "hostinfo", "connectionstatus", "explain", "getlog", "currentop", "saslstart", "saslcontinue");

    public static void main(String[] args) throws Exception {
        // MongoDB evaluates date expressions ($year, $hour, $dateToString, ...) in UTC unless told a
        // timezone; the library uses the JVM's default zone, which follows the machine's TZ.
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        int port = 0;
        String backendName = "memory";
        String data = "local-mongo-data";
        String commit = "ack";
        boolean fsync = false;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> { port = parsePort(require(args[i], value)); i++; }
                case "--backend" -> { backendName = require(args[i], value); i++; }
                case "--data" -> { data = require(args[i], value); i++; }
                case "--commit" -> { commit = require(args[i], value); i++; }
                case "--fsync" -> fsync = true;
                case "--format" -> {
                    switch (require(args[i], value)) {
                        case "bson" -> BsonValues.writeJavaForm = false;
                        case "java" -> BsonValues.writeJavaForm = true;
                        default -> usage("unknown format: " + value);
                    }
                    i++;
                }
                default -> usage("unknown argument: " + args[i]);
            }
        }

        MongoBackend backend = switch (backendName) {
            case "memory" -> new IndexedBackends.Memory() {
                @Override
                public Document handleCommand(Channel channel, String db, String command, Document query) {
                    return answer(command, name -> super.handleCommand(channel, db, name, query));
                }
            };
            case "h2" -> switch (commit) {
                case "ack" -> durableH2(h2File(Path.of(data)), fsync);
                case "background" -> new IndexedBackends.H2(h2File(Path.of(data)).toString()) {
                    @Override
                    public Document handleCommand(Channel channel, String db, String command, Document query) {
                        return answer(command, name -> super.handleCommand(channel, db, name, query));
                    }
                };
                default -> throw usage("unknown commit mode: " + commit);
            };
            default -> throw usage("unknown backend: " + backendName);
        };
        backend.version(MONGO_6_0);

        MongoServer server = new MongoServer(backend);
        try {
            // A write waits for its commit on the event-loop thread that serves its connection (and
            // the connections sharing that thread); enough threads let concurrent writers share commits.
            int threads = backend instanceof H2Backend && commit.equals("ack") ? WAITING_EVENT_LOOP_THREADS : 0;
            server.bind(new InetSocketAddress("127.0.0.1", port), 0, threads);
        } catch (Exception e) { // netty rethrows the checked BindException undeclared
            System.err.println("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage());
            // its event-loop threads are not daemons and would keep the JVM alive
            server.shutdownNow();
            System.exit(1);
        }
        // shutdownNow() also closes the backend, which for h2 commits and closes the MVStore file.
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "local-mongo-shutdown"));

        Thread stdinWatcher = new Thread(() -> {
            try (InputStream in = System.in) {
                byte[] buffer = new byte[256];
                while (in.read(buffer) >= 0) {
                    // input is ignored; only EOF (parent gone or pipe closed) matters
                }
            } catch (IOException ignored) {
                // a broken stdin means the parent is gone as well
            }
            System.exit(0);
        }, "local-mongo-stdin");
        stdinWatcher.setDaemon(true);
        stdinWatcher.start();

        System.out.println("LISTENING 127.0.0.1:" + server.getLocalAddress().getPort());
        System.out.flush();
    }

    /**
     * The h2 backend on a store that commits before each write is acknowledged (CommitGate); with
     * fsync, each commit is also forced to the disk.
     */
    private static MongoBackend durableH2(Path file, boolean fsync) {
        CommitGate gate = CommitGate.open(file, fsync);
        MVStore store = gate.store();
        // Each commit writes a new chunk. The library reuses the space of a replaced chunk only 45 s
        // later, in case the disk has not yet written the chunks that replaced it (a power loss), so
        // a busy store would grow by 45 s of commits. With fsync every commit is on the disk before
        // the next, and the space is reused at once; without, the file is forced to the disk once a
        // second and a replaced chunk kept for 5 s: a machine crash loses about the last second
        // and the file still opens.
        store.setRetentionTime(fsync ? 0 : 5_000);
        if (!fsync) {
            Thread syncer = new Thread(() -> {
                while (!store.isClosed()) {
                    try {
                        Thread.sleep(1_000);
                        store.sync();
                    } catch (InterruptedException | RuntimeException e) {
                        return; // closed: the last commit is written by close()
                    }
                }
            }, "local-mongo-sync");
            syncer.setDaemon(true);
            syncer.start();
        }
        return new IndexedBackends.H2(store) {
            @Override
            public Document handleCommand(Channel channel, String db, String command, Document query) {
                if (!mayWrite(command, query)) {
                    return answer(command, name -> super.handleCommand(channel, db, name, query));
                }
                return gate.write(() -> answer(command, name -> super.handleCommand(channel, db, name, query)), journaled(query));
            }
        };
    }

    /**
     * False only for a write concern that says {@code j: false}: MongoDB acknowledges it before
     * its journal commit, and so does this server, before its store commit. Without a write
     * concern, or with {@code j} true or absent, the write waits for its commit.
     */
    private static boolean journaled(Document query) {
        return !(query.get("writeConcern") instanceof Document concern && Boolean.FALSE.equals(concern.get("j")));
    }

    private static boolean mayWrite(String command, Document query) {
        String name = command.toLowerCase(Locale.ROOT);
        if (name.equals("aggregate")) {
            return query.get("pipeline") instanceof List<?> stages && stages.stream().anyMatch(
                stage -> stage instanceof Document d && (d.containsKey("$out") || d.containsKey("$merge")));
        }
        return !READ_ONLY.contains(name);
    }

    /** Runs a command, answering hello (which the library does not know) from isMaster. */
    private static Document answer(String command, Function<String, Document> run) {
        return "hello".equals(command) ? hello(run.apply("isMaster")) : run.apply(command);
    }

    /** The library only knows the legacy isMaster; MongoDB 4.4.2+ clients and tools also send hello. */
    private static Document hello(Document isMaster) {
        Document reply = new Document("isWritablePrimary", true);
        isMaster.forEach((key, value) -> {
            if (!key.equals("ismaster")) {
                reply.put(key, value);
            }
        });
        return reply;
    }

    /** A path ending in ".db" is the store file itself; any other path is a folder that gets one inside. */
    private static Path h2File(Path data) throws IOException {
        boolean isFile = data.getFileName().toString().endsWith(".db") && !Files.isDirectory(data);
        Path file = isFile ? data : data.resolve(H2_FILE_NAME);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        return file;
    }

    private static int parsePort(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw usage("not a port number: " + value);
        }
    }

    private static String require(String option, String value) {
        if (value == null) {
            throw usage("missing value for " + option);
        }
        return value;
    }

    private static IllegalArgumentException usage(String problem) {
        System.err.println(problem);
        System.err.println(USAGE);
        System.exit(2);
        return new IllegalArgumentException(problem);
    }
}
