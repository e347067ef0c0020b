package eventbooking.devtools;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * A non-unique (or compound) index, which the library only records and ignores
 * ({@code openOrCreateSecondaryIndex} returns an {@code EmptyIndex}). Kept in memory for both
 * backends: an ordered set of (key values, position) plus each document's entries by its _id.
 * The h2 store does not persist it: it is rebuilt from the documents when the database opens
 * ({@link IndexedBackends.H2}: one pass over a collection for all its indexes).
 *
 * <p>Maintained by the library's own calls (add, updateInPlace, remove) like its unique indexes;
 * read only through {@link IndexPlan}, which the patched {@code AbstractMongoCollection} asks
 * for candidates. {@link #canHandle} says no, so the library's own "first index that can
 * handle the query" loop never picks it.
 *
 * <p>Keys are the library's normalized key values ({@link Index#getKeyValues}: numbers as
 * doubles, missing as null, one entry per array element). A document with an array in an
 * indexed field makes the index multikey: from then on it serves equality only (no ranges, no
 * order), as the candidates of a range or a sort over array elements are not those of a scan.
 */
public final class SecondaryIndex<P> extends Index<P> {

    /** An index entry, or (side != 0) a bound before (-1) or after (+1) every entry with its key prefix. */
    static final class Entry {
        final Object[] key;
        final Object position;
        final int side;

        Entry(Object[] key, Object position, int side) {
            this.key = key;
            this.position = position;
            this.side = side;
        }
    }

    /** A document's entries (one per array element for a multikey document; none for an empty array). */
    private record Indexed(Object position, List<Entry> entries) {
    }

    private final boolean[] ascending;
    private final Comparator<Entry> comparator;
    private final ConcurrentSkipListSet<Entry> entries;
    private final RankedEntries ranked;
    private final Map<KeyValue, Indexed> byId = new ConcurrentHashMap<>();
    private final AtomicLong size = new AtomicLong();
    private volatile boolean multikey;
    private volatile boolean deferred;

    public SecondaryIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        ascending = new boolean[keys.size()];
        for (int i = 0; i < ascending.length; i++) {
            ascending[i] = keys.get(i).isAscending();
        }
        comparator = this::compare;
        entries = new ConcurrentSkipListSet<>(comparator);
        ranked = new RankedEntries(comparator);
    }

    private int compare(Entry a, Entry b) {
        int common = Math.min(a.key.length, b.key.length);
        for (int i = 0; i < common; i++) {
            int c = compareValues(a.key[i], b.key[i], ascending[i]);
            if (c != 0) {
                return c;
            }
        }
        if (a.side == 0 && b.side == 0) {
            return compareValues(a.position, b.position, true);
        }
        if (a.key.length != b.key.length) {
            return a.key.length < b.key.length ? a.side : -b.side;
        }
        return Integer.compare(a.side, b.side);
    }

    /**
     * The library's order of two values (ValueComparator.asc() or desc()),
     * without its type dispatch when both are of one common class: an index compares keys at each
     * step of a read, and the library's comparator costs several times a direct comparison.
     */
    static int compareValues(Object a, Object b, boolean ascending) {
        if (a == null || b == null || a.getClass() != b.getClass()) {
            return (ascending ? ValueComparator.asc() : ValueComparator.desc()).compare(a, b);
        }
        int c;
        if (a instanceof String x) {
            c = x.compareTo((String) b);
        } else if (a instanceof Double x) {
            c = Double.compare(x, (Double) b);
        } else if (a instanceof Integer x) {
            c = Integer.compare(x, (Integer) b);
        } else if (a instanceof Long x) {
            c = Long.compare(x, (Long) b);
        } else if (a instanceof Instant x) {
            c = x.compareTo((Instant) b);
        } else if (a instanceof ObjectId x) {
            c = x.compareTo((ObjectId) b);
        } else if (a instanceof Boolean x) {
            c = Boolean.compare(x, (Boolean) b);
        } else {
            return (ascending ? ValueComparator.asc() : ValueComparator.desc()).compare(a, b);
        }
        return ascending ? c : -c;
    }

    /**
     * Built later by its opener (IndexedBackends.H2, one pass over the collection for all its
     * indexes), not by the library's addIndex, which builds only an index that says it is empty.
     */
    void defer() {
        deferred = true;
    }

    void built() {
        deferred = false;
    }

    boolean isMultikey() {
        return multikey;
    }

    /** The entries from `from` to `to` (bounds), in index order; empty when from is after to. */
    NavigableSet<Entry> range(Entry from, Entry to) {
        if (comparator.compare(from, to) > 0) {
            return new ConcurrentSkipListSet<>(comparator);
        }
        return entries.subSet(from, true, to, true);
    }

    /** How many entries lie between two bounds, without reading them. */
    synchronized int countBetween(Entry from, Entry to) {
        if (comparator.compare(from, to) > 0) {
            return 0;
        }
        return ranked.rank(to) - ranked.rank(from);
    }

    int compareEntries(Entry a, Entry b) {
        return comparator.compare(a, b);
    }

    private static KeyValue idOf(Document document) {
        return new KeyValue(document.get("_id")).normalized();
    }

    private List<Entry> entriesOf(Document document, Object position) {
        Set<KeyValue> keyValues = getKeyValues(document);
        if (!multikey) {
            for (IndexKey key : getKeys()) {
                if (Utils.getSubdocumentValueCollectionAware(document, key.getKey()) instanceof Collection) {
                    multikey = true;
                    break;
                }
            }
        }
        List<Entry> result = new ArrayList<>(keyValues.size());
        for (KeyValue keyValue : keyValues) {
            result.add(new Entry(keyValue.stream().toArray(), position, 0));
        }
        return result;
    }

    @Override
    public P getPosition(Document document) {
        Indexed indexed = byId.get(idOf(document));
        @SuppressWarnings("unchecked")
        P position = indexed == null ? null : (P) indexed.position();
        return position;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<P> collection) {
        getKeyValues(document); // refuses parallel arrays before the document is stored, as MongoDB does
    }

    @Override
    public synchronized void add(Document document, P position, MongoCollection<P> collection) {
        List<Entry> added = entriesOf(document, position);
        Indexed previous = byId.put(idOf(document), new Indexed(position, added));
        if (previous != null) {
            unlink(previous);
        }
        entries.addAll(added);
        added.forEach(ranked::add);
        size.addAndGet(added.size());
    }

    private void unlink(Indexed indexed) {
        for (Entry entry : indexed.entries()) {
            if (entries.remove(entry)) {
                size.decrementAndGet();
            }
            ranked.remove(entry);
        }
    }

    @Override
    public synchronized P remove(Document document) {
        Indexed indexed = byId.remove(idOf(document));
        if (indexed == null) {
            return null;
        }
        unlink(indexed);
        @SuppressWarnings("unchecked")
        P position = (P) indexed.position();
        return position;
    }

    @Override
    public boolean canHandle(Document query) {
        return false;
    }

    @Override
    public Iterable<P> getPositions(Document query) {
        throw new UnsupportedOperationException("read through IndexPlan");
    }

    @Override
    public long getCount() {
        return size.get();
    }

    @Override
    public boolean isEmpty() {
        return byId.isEmpty() && !deferred;
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) {
        getKeyValues(newDocument);
    }

    @Override
    public synchronized void updateInPlace(Document oldDocument, Document newDocument, P position,
                                           MongoCollection<P> collection) {
        if (nullAwareEqualsKeys(oldDocument, newDocument)) {
            return;
        }
        remove(oldDocument);
        add(newDocument, position, collection);
    }

    @Override
    public synchronized void drop() {
        entries.clear();
        ranked.clear();
        byId.clear();
        size.set(0);
        multikey = false;
    }
}
