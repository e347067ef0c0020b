package eventbooking.devtools;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TimeZone;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.netty.channel.Channel;

/**
 * Local MongoDB-compatible server for development and tests.
 *
 * <pre>java -jar local-mongo.jar --port N --backend memory|h2 [--data DIR_OR_FILE]</pre>
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

    public static void main(String[] args) throws Exception {
        // MongoDB evaluates date expressions ($year, $hour, $dateToString, ...) in UTC unless told a
        // timezone; the library uses the JVM's default zone, which follows the machine's TZ.
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        int port = 0;
        String backendName = "memory";
        String data = "local-mongo-data";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> { port = parsePort(require(args[i], value)); i++; }
                case "--backend" -> { backendName = require(args[i], value); i++; }
                case "--data" -> { data = require(args[i], value); i++; }
                default -> usage("unknown argument: " + args[i]);
            }
        }

        MongoBackend backend = switch (backendName) {
            case "memory" -> new MemoryBackend() {
                @Override
                public Document handleCommand(Channel channel, String db, String command, Document query) {
                    return "hello".equals(command)
                        ? hello(super.handleCommand(channel, db, "isMaster", query))
                        : super.handleCommand(channel, db, command, query);
                }
            };
            case "h2" -> new H2Backend(h2File(Path.of(data)).toString()) {
                @Override
                public Document handleCommand(Channel channel, String db, String command, Document query) {
                    return "hello".equals(command)
                        ? hello(super.handleCommand(channel, db, "isMaster", query))
                        : super.handleCommand(channel, db, command, query);
                }
            };
            default -> throw usage("unknown backend: " + backendName);
        };
        backend.version(MONGO_6_0);

        MongoServer server = new MongoServer(backend);
        try {
            server.bind("127.0.0.1", port);
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
        System.err.println("usage: java -jar local-mongo.jar --port N --backend memory|h2 [--data DIR_OR_FILE]");
        System.exit(2);
        return new IllegalArgumentException(problem);
    }
}
