package eventbooking.devtools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryParameters;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import io.netty.channel.Channel;

/**
 * The library's two backends with the indexes it ignores: a non-unique (or compound) index the
 * application declares is a {@link SecondaryIndex} (the library's databases ask
 * {@code openOrCreateSecondaryIndex}, its hook for external backends, and get an {@code EmptyIndex}
 * by default). With h2 the index lives in memory and is rebuilt from the documents when the store
 * opens. Both also answer {@code explain} for find and count ({@link #explain}).
 */
public final class IndexedBackends {

    private IndexedBackends() {
    }

    public static class Memory extends MemoryBackend {
        @Override
        public MemoryDatabase openOrCreateDatabase(String databaseName) {
            return new MemoryDatabase(databaseName, getCursorRegistry()) {
                @Override
                protected Index<Integer> openOrCreateSecondaryIndex(String collection, String name, List<IndexKey> keys,
                                                                   boolean sparse) {
                    return new SecondaryIndex<>(name, keys, sparse);
                }
            };
        }

        @Override
        public Document handleCommand(Channel channel, String db, String command, Document query) {
            return "explain".equalsIgnoreCase(command) ? explain(this, db, query) : super.handleCommand(channel, db, command, query);
        }
    }

    public static class H2 extends H2Backend {
        /** While a database opens: its collections' indexes, built once it is open. */
        private static final ThreadLocal<Map<String, List<SecondaryIndex<Object>>>> OPENING = new ThreadLocal<>();
        /** The library's names of a collection's map of documents, and of a unique index's map. */
        private static final String DATA_PREFIX = "databases.";
        private static final String INDEX_INFIX = "._index_";

        public H2(MVStore store) {
            super(store);
        }

        public H2(String fileName) {
            super(fileName);
        }

        /**
         * The store's indexes are in memory only: when a database opens (the store's databases
         * open with the backend), each collection with indexes is read once and every index of
         * it built from that read. An index created later builds as the library builds any index.
         */
        @Override
        protected MongoDatabase openOrCreateDatabase(String databaseName) {
            Map<String, List<SecondaryIndex<Object>>> opening = new LinkedHashMap<>();
            OPENING.set(opening);
            MongoDatabase database;
            try {
                database = new H2Database(databaseName, getMvStore(), getCursorRegistry()) {
                    // A collection's documents, their ids and its unique indexes' keys are written
                    // as BSON ({@link BsonValues}): their maps open with it before the library's
                    // own openMap, which then finds them open.
                    @Override
                    protected MongoCollection<Object> openOrCreateCollection(String collectionName,
                                                                            CollectionOptions options) {
                        openWithBson(DATA_PREFIX + getFullCollectionNamespace(collectionName));
                        return super.openOrCreateCollection(collectionName, options);
                    }

                    @Override
                    protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName,
                                                                    List<IndexKey> keys, boolean sparse) {
                        openWithBson(getFullCollectionNamespace(collectionName) + INDEX_INFIX + indexName);
                        return super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse);
                    }

                    @Override
                    protected Index<Object> openOrCreateSecondaryIndex(String collection, String name,
                                                                      List<IndexKey> keys, boolean sparse) {
                        SecondaryIndex<Object> index = new SecondaryIndex<>(name, keys, sparse);
                        Map<String, List<SecondaryIndex<Object>>> deferred = OPENING.get();
                        if (deferred != null) {
                            index.defer();
                            deferred.computeIfAbsent(collection, c -> new ArrayList<>()).add(index);
                        }
                        return index;
                    }
                };
            } finally {
                OPENING.remove();
            }
            opening.forEach((collectionName, indexes) -> build(database, collectionName, indexes));
            return database;
        }

        private void openWithBson(String mapName) {
            getMvStore().openMap(mapName, new MVMap.Builder<Object, Object>().keyType(new BsonValues()).valueType(new BsonValues()));
        }

        /** One read of the collection for all its indexes; a document's position in the store is its _id. */
        private static void build(MongoDatabase database, String collectionName, List<SecondaryIndex<Object>> indexes) {
            @SuppressWarnings("unchecked")
            MongoCollection<Object> collection = (MongoCollection<Object>) database.resolveCollection(collectionName, false);
            if (collection != null) {
                for (Document document : collection.queryAll()) {
                    for (SecondaryIndex<Object> index : indexes) {
                        index.add(document, document.get("_id"), collection);
                    }
                }
            }
            indexes.forEach(SecondaryIndex::built);
        }

        @Override
        public Document handleCommand(Channel channel, String db, String command, Document query) {
            return "explain".equalsIgnoreCase(command) ? explain(this, db, query) : super.handleCommand(channel, db, command, query);
        }
    }

    /**
     * MongoDB's explain command, for find and count: the plan (IXSCAN of the index the query
     * reads, or COLLSCAN) and executionStats with nReturned and totalDocsExamined (the documents
     * read to answer; a collection scan reads every document).
     */
    static Document explain(AbstractMongoBackend backend, String db, Document command) {
        if (!(command.get("explain") instanceof Document inner) || inner.isEmpty()) {
            throw new MongoServerError(2, "explain takes a find or count command");
        }
        String kind = inner.keySet().iterator().next();
        if (!(inner.get(kind) instanceof String collectionName) || !(kind.equals("find") || kind.equals("count"))) {
            throw new MongoServerError(2, "explain is only implemented for find and count");
        }
        Document filter = (Document) inner.getOrDefault(kind.equals("find") ? "filter" : "query", new Document());
        Document sort = (Document) inner.get("sort");
        MongoDatabase database = backend.resolveDatabase(db);
        @SuppressWarnings("unchecked")
        MongoCollection<Object> collection = (MongoCollection<Object>) database.resolveCollection(collectionName, false);

        // The library's own path first: a unique index that handles the whole filter reads its positions.
        Index<Object> whole = collection == null ? null : collection.getIndexes().stream()
            .filter(index -> index.canHandle(filter)).findFirst().orElse(null);
        long wholeExamined = 0;
        if (whole != null) {
            for (Object ignored : whole.getPositions(filter)) {
                wholeExamined++;
            }
        }
        IndexPlan<Object> plan = collection == null || whole != null ? null : IndexPlan.of(collection.getIndexes(), filter, sort);
        IndexPlan.resetExamined();
        long returned = 0;
        if (collection != null) {
            if (kind.equals("count")) {
                returned = collection.count(filter, 0, 0);
            } else {
                int skip = inner.get("skip") instanceof Number n ? n.intValue() : 0;
                int limit = inner.get("limit") instanceof Number n ? n.intValue() : 0;
                Document selector = new Document("$query", filter);
                if (sort != null) {
                    selector.put("$orderby", sort);
                }
                for (Document ignored : collection.handleQuery(new QueryParameters(selector, skip, limit))) {
                    returned++;
                }
            }
        }
        long examined = whole != null ? wholeExamined
            : plan == null ? (collection == null ? 0 : collection.count()) : IndexPlan.examined();

        Document winning;
        if (whole != null) {
            winning = new Document("stage", "FETCH").append("inputStage",
                new Document("stage", "IXSCAN").append("indexName", whole.getName()));
        } else if (plan == null) {
            winning = new Document("stage", "COLLSCAN").append("filter", filter);
        } else {
            Document scan = new Document("stage", "IXSCAN").append("indexName", plan.indexName());
            if (plan.keyPattern() != null) {
                scan.append("keyPattern", plan.keyPattern());
            }
            winning = new Document("stage", "FETCH").append("inputStage", scan);
        }
        Document planner = new Document("namespace", db + "." + collectionName).append("winningPlan", winning);
        Document stats = new Document("executionSuccess", true)
            .append("nReturned", returned)
            .append("totalDocsExamined", examined);
        return new Document("queryPlanner", planner).append("executionStats", stats).append("ok", 1.0);
    }
}
