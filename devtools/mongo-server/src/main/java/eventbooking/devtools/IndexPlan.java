package eventbooking.devtools;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * Which documents of a collection a filter can match, read from an index instead of a scan:
 * the library calls {@link #of} from its (patched) {@code queryDocuments} and {@code count}
 * once no unique index handles the whole filter on its own.
 *
 * <p>Served: equality (a value, {@code $eq}, {@code $in}) on a prefix of a {@link SecondaryIndex}'s
 * keys, optionally a range ({@code $gt $gte $lt $lte}) on the next key; all keys of a unique
 * index by equality, other fields beside; a top-level {@code $or} whose every branch (with the
 * fields beside it) is served, as the union of the branches. Equality values: strings, numbers,
 * booleans, ObjectIds, dates; anything else (null, documents, arrays, regular expressions) is
 * left to the filter. The index gives candidates only: the collection still applies the whole
 * filter to each ({@code matchDocumentsFromStream}), so answers are those of a scan.
 *
 * <p>Two shortcuts, both exact: the documents come in index order, and a limit stops the read,
 * when the sort is the index's next keys (an index on {@code (event_id, state, seq)} sorts
 * {@code {event_id: X, state: S}} by {@code seq}; further sort keys order each run of equal
 * index keys); and {@link #count} counts an entry without reading its document when the index
 * alone decides it (every condition of the filter is on the keys used, the entry's value has
 * the bound's type, the index is not multikey).
 */
public final class IndexPlan<P> {

    /** Documents read through plans on this thread (the explain command's totalDocsExamined). */
    private static final ThreadLocal<long[]> EXAMINED = ThreadLocal.withInitial(() -> new long[1]);

    private static final int MAX_POINTS = 64;


    private final String indexName;
    private final Document keyPattern;
    private final List<Scan> scans;
    private final List<P> looked; // positions a unique index gave (read before the scans)
    private final boolean distinct;
    private final boolean inOrder;
    private final boolean reversed;
    private final int runStart; // with inOrder: the first index key that orders
    private final int runSlots; // the index keys that order (a run: entries equal on them)
    private final int runKeys; // > 0: the sort has keys beyond them, which order each run

    /** One range of one index, and whether an entry in it matches the whole filter by its keys alone. */
    /** countable: every entry between the bounds matches the whole filter (counted without reading it). */
    private record Scan(SecondaryIndex<?> index, SecondaryIndex.Entry from, SecondaryIndex.Entry to,
                        boolean countable) {
    }

    private record Range(Object lower, boolean lowerInclusive, Object upper, boolean upperInclusive) {
    }

    /** A field's condition: equality to one of `points` (normalized), and/or a range; `whole` when nothing else is asked of the field. */
    private static final class Condition {
        List<Object> points;
        List<Object> raw;
        Range range;
        boolean whole = true;
    }

    private IndexPlan(String indexName, Document keyPattern, List<Scan> scans, List<P> looked,
                      boolean distinct, boolean inOrder, boolean reversed, int runStart, int runSlots, int runKeys) {
        this.indexName = indexName;
        this.keyPattern = keyPattern;
        this.scans = scans;
        this.looked = looked;
        this.distinct = distinct;
        this.inOrder = inOrder;
        this.reversed = reversed;
        this.runStart = runStart;
        this.runSlots = runSlots;
        this.runKeys = runKeys;
    }

    public static long examined() {
        return EXAMINED.get()[0];
    }

    public static void resetExamined() {
        EXAMINED.get()[0] = 0;
    }

    public String indexName() {
        return indexName;
    }

    public Document keyPattern() {
        return keyPattern;
    }

    /** The documents come in the order asked for (no sort needed after the filter). */
    public boolean inOrder() {
        return inOrder;
    }

    /** A plan for `query` (sorted by `orderBy`, or null), or null when no index serves it. */
    public static <P> IndexPlan<P> of(List<Index<P>> indexes, Document query, Document orderBy) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        if (orderBy != null && orderBy.containsKey("$natural")) {
            return null; // the scan's order is the one asked for
        }
        Document sort = orderBy == null || orderBy.isEmpty() ? null : orderBy;
        Object or = query.get("$or");
        if (or instanceof List<?> branches && !branches.isEmpty()) {
            Document rest = new Document(query);
            rest.remove("$or");
            List<Branch<P>> plans = new ArrayList<>();
            for (Object branch : branches) {
                if (!(branch instanceof Document branchQuery)) {
                    plans = null;
                    break;
                }
                Document merged = new Document(rest);
                boolean clash = false;
                for (Map.Entry<String, Object> field : branchQuery.entrySet()) {
                    clash |= merged.containsKey(field.getKey());
                    merged.putIfAbsent(field.getKey(), field.getValue());
                }
                Branch<P> plan = best(indexes, merged, branches.size() == 1 ? sort : null, !clash);
                if (plan == null) {
                    plans = null;
                    break;
                }
                plans.add(plan);
            }
            if (plans != null) {
                return plans.size() == 1 ? plans.get(0).toPlan() : union(plans);
            }
            Branch<P> plan = best(indexes, rest, sort, false);
            return plan == null ? null : plan.toPlan();
        }
        Branch<P> plan = best(indexes, query, sort, true);
        return plan == null ? null : plan.toPlan();
    }

    private static <P> IndexPlan<P> union(List<Branch<P>> branches) {
        List<Scan> scans = new ArrayList<>();
        List<P> looked = new ArrayList<>();
        Set<String> names = new java.util.LinkedHashSet<>();
        for (Branch<P> branch : branches) {
            names.add(branch.name);
            if (branch.unique != null) {
                branch.unique.forEach(looked::add);
            } else {
                scans.addAll(branch.scans);
            }
        }
        return new IndexPlan<>(String.join(",", names), null, scans, looked, true, false, false, 0, 0, 0);
    }

    /** The best index for one conjunction of conditions. */
    private static final class Branch<P> {
        String name;
        Document keyPattern;
        int score;
        List<Scan> scans;
        Iterable<P> unique;
        boolean multikey;
        boolean inOrder;
        boolean reversed;
        int runStart;
        int runSlots;
        int runKeys;

        IndexPlan<P> toPlan() {
            boolean distinct = multikey || unique != null || (scans != null && scans.size() > 1);
            List<P> looked = new ArrayList<>();
            if (unique != null) {
                unique.forEach(looked::add);
            }
            return new IndexPlan<>(name, keyPattern, scans == null ? List.of() : scans, looked, distinct,
                inOrder, reversed, runStart, runSlots, runKeys);
        }
    }

    private static <P> Branch<P> best(List<Index<P>> indexes, Document query, Document sort, boolean allowExact) {
        Map<String, Condition> conditions = new LinkedHashMap<>();
        boolean whole = allowExact;
        for (Map.Entry<String, Object> field : query.entrySet()) {
            if (field.getKey().startsWith("$")) {
                whole = false;
                continue;
            }
            Condition condition = condition(field.getValue());
            if (condition == null) {
                whole = false;
            } else {
                conditions.put(field.getKey(), condition);
            }
        }
        if (conditions.isEmpty()) {
            return null;
        }
        Branch<P> best = null;
        for (Index<P> index : indexes) {
            Branch<P> candidate;
            if (index instanceof SecondaryIndex<P> secondary) {
                candidate = secondary(secondary, conditions, whole, sort);
            } else if (index instanceof AbstractUniqueIndex<P> unique) {
                candidate = unique(unique, conditions);
            } else {
                candidate = null;
            }
            if (candidate != null && (best == null || candidate.score > best.score
                || (candidate.score == best.score && candidate.inOrder && !best.inOrder))) {
                best = candidate;
            }
        }
        return best;
    }

    private static Document keyPattern(Index<?> index) {
        Document pattern = new Document();
        for (IndexKey key : index.getKeys()) {
            pattern.put(key.getKey(), key.isAscending() ? 1 : -1);
        }
        return pattern;
    }

    private static <P> Branch<P> unique(AbstractUniqueIndex<P> index, Map<String, Condition> conditions) {
        Document lookup = new Document();
        for (IndexKey key : index.getKeys()) {
            Condition condition = conditions.get(key.getKey());
            if (condition == null || condition.points == null || condition.points.size() != 1) {
                return null;
            }
            lookup.put(key.getKey(), condition.raw.get(0));
        }
        if (!index.canHandle(lookup)) {
            return null;
        }
        Branch<P> branch = new Branch<>();
        branch.name = index.getName();
        branch.keyPattern = keyPattern(index);
        branch.score = 1000 + lookup.size();
        branch.unique = index.getPositions(lookup);
        return branch;
    }

    private static <P> Branch<P> secondary(SecondaryIndex<P> index, Map<String, Condition> conditions, boolean whole,
                                           Document sort) {
        List<IndexKey> keys = index.getKeys();
        boolean multikey = index.isMultikey();
        List<List<Object>> points = new ArrayList<>();
        points.add(new ArrayList<>());
        Set<String> used = new HashSet<>();
        int equalities = 0;
        Range range = null;
        for (IndexKey key : keys) {
            Condition condition = conditions.get(key.getKey());
            if (condition == null) {
                break;
            }
            if (condition.points != null) {
                if (points.size() * condition.points.size() > MAX_POINTS) {
                    break;
                }
                List<List<Object>> next = new ArrayList<>();
                for (List<Object> point : points) {
                    for (Object value : condition.points) {
                        List<Object> extended = new ArrayList<>(point);
                        extended.add(value);
                        next.add(extended);
                    }
                }
                points = next;
                equalities++;
                if (condition.whole && condition.range == null) {
                    used.add(key.getKey());
                }
                continue;
            }
            if (condition.range != null && !multikey) {
                range = condition.range;
                if (condition.whole) {
                    used.add(key.getKey());
                }
            }
            break;
        }
        if (equalities == 0 && range == null) {
            return null;
        }
        // Exact: every condition of the filter is one the bounds decide.
        boolean exact = whole && !multikey && used.equals(conditions.keySet());
        int rangeSlot = range == null ? -1 : equalities;
        List<Scan> scans = new ArrayList<>();
        for (List<Object> point : points) {
            scans.add(scan(index, point, rangeSlot, range, exact));
        }
        Branch<P> branch = new Branch<>();
        branch.name = index.getName();
        branch.keyPattern = keyPattern(index);
        branch.score = 2 * equalities + (range == null ? 0 : 1);
        branch.scans = scans;
        branch.multikey = multikey;
        if (sort != null && points.size() == 1 && !multikey) {
            orderFor(branch, keys, equalities, sort);
        }
        return branch;
    }

    /** Whether the index, after its equality keys, gives the sort's order (forwards or backwards). */
    private static void orderFor(Branch<?> branch, List<IndexKey> keys, int equalities, Document sort) {
        List<String> sortKeys = new ArrayList<>(sort.keySet());
        int matched = 0;
        Boolean reversed = null;
        while (matched < sortKeys.size() && equalities + matched < keys.size()) {
            IndexKey key = keys.get(equalities + matched);
            String sortKey = sortKeys.get(matched);
            if (!key.getKey().equals(sortKey) || !(sort.get(sortKey) instanceof Number direction)) {
                break;
            }
            boolean flipped = (direction.intValue() > 0) != key.isAscending();
            if (reversed != null && reversed != flipped) {
                break;
            }
            reversed = flipped;
            matched++;
        }
        if (matched == 0) {
            return;
        }
        branch.inOrder = true;
        branch.reversed = reversed;
        branch.runStart = equalities;
        branch.runSlots = matched;
        branch.runKeys = matched < sortKeys.size() ? sortKeys.size() - matched : 0;
    }

    private static Scan scan(SecondaryIndex<?> index, List<Object> point, int rangeSlot, Range range, boolean exact) {
        Object[] prefix = point.toArray();
        if (range == null) {
            return new Scan(index, new SecondaryIndex.Entry(prefix, null, -1), new SecondaryIndex.Entry(prefix, null, 1),
                exact);
        }
        // An open side ends where the bound's type ends: every entry in the range is then of the
        // bound's type, as a match must be (MongoDB compares values of one type only).
        int type = rank(range.lower() != null ? range.lower() : range.upper());
        boolean countable = exact && (range.lower() == null || range.upper() == null || rank(range.lower()) == rank(range.upper()));
        if (range.lower() == null) {
            range = new Range(lowest(type), true, range.upper(), range.upperInclusive());
        } else if (range.upper() == null) {
            // strings end before the next type, documents (an empty one is the lowest)
            range = new Range(range.lower(), range.lowerInclusive(), highest(type), type != 2);
        }
        boolean ascending = index.getKeys().get(rangeSlot).isAscending();
        Object first = ascending ? range.lower() : range.upper();
        boolean firstInclusive = ascending ? range.lowerInclusive() : range.upperInclusive();
        Object last = ascending ? range.upper() : range.lower();
        boolean lastInclusive = ascending ? range.upperInclusive() : range.lowerInclusive();
        SecondaryIndex.Entry from = first == null ? new SecondaryIndex.Entry(prefix, null, -1)
            : new SecondaryIndex.Entry(append(prefix, first), null, firstInclusive ? -1 : 1);
        SecondaryIndex.Entry to = last == null ? new SecondaryIndex.Entry(prefix, null, 1)
            : new SecondaryIndex.Entry(append(prefix, last), null, lastInclusive ? 1 : -1);
        return new Scan(index, from, to, countable);
    }

    /** The lowest value of a type class (rank), in the library's order. */
    private static Object lowest(int type) {
        return switch (type) {
            case 1 -> Double.NEGATIVE_INFINITY;
            case 2 -> "";
            case 3 -> Instant.MIN;
            case 4 -> new ObjectId(new byte[12]);
            default -> Boolean.FALSE;
        };
    }

    /** The highest value of a type class (numbers: NaN, which the library orders above every number; strings: none, the lowest document follows). */
    private static Object highest(int type) {
        return switch (type) {
            case 1 -> Double.NaN;
            case 2 -> new Document();
            case 3 -> Instant.MAX;
            case 4 -> new ObjectId(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1});
            default -> Boolean.TRUE;
        };
    }

    private static Object[] append(Object[] prefix, Object value) {
        Object[] key = java.util.Arrays.copyOf(prefix, prefix.length + 1);
        key[prefix.length] = value;
        return key;
    }

    /** The condition a filter's value puts on its field, or null when an index cannot serve it. */
    private static Condition condition(Object value) {
        if (!(value instanceof Document operators) || operators.isEmpty()
            || !operators.keySet().iterator().next().startsWith("$")) {
            if (rank(value) == 0) {
                return null;
            }
            Condition condition = new Condition();
            condition.points = List.of(normalized(value));
            condition.raw = List.of(value);
            return condition;
        }
        Condition condition = new Condition();
        Object lower = null;
        Object upper = null;
        boolean lowerInclusive = false;
        boolean upperInclusive = false;
        for (Map.Entry<String, Object> operator : operators.entrySet()) {
            Object operand = operator.getValue();
            switch (operator.getKey()) {
                case "$eq" -> {
                    if (rank(operand) == 0 || condition.points != null) {
                        condition.whole = false;
                    } else {
                        condition.points = List.of(normalized(operand));
                        condition.raw = List.of(operand);
                    }
                }
                case "$in" -> {
                    if (condition.points != null || !(operand instanceof Collection<?> values) || values.isEmpty()
                        || values.stream().anyMatch(v -> rank(v) == 0)) {
                        condition.whole = false;
                    } else {
                        List<Object> points = new ArrayList<>();
                        for (Object v : values) {
                            Object normalized = normalized(v);
                            if (points.stream().noneMatch(p -> p.equals(normalized))) {
                                points.add(normalized);
                            }
                        }
                        condition.points = points;
                        condition.raw = new ArrayList<>(values);
                    }
                }
                case "$gt", "$gte" -> {
                    if (rank(operand) == 0 || lower != null) {
                        condition.whole = false;
                    } else {
                        lower = normalized(operand);
                        lowerInclusive = operator.getKey().equals("$gte");
                    }
                }
                case "$lt", "$lte" -> {
                    if (rank(operand) == 0 || upper != null) {
                        condition.whole = false;
                    } else {
                        upper = normalized(operand);
                        upperInclusive = operator.getKey().equals("$lte");
                    }
                }
                default -> condition.whole = false;
            }
        }
        if (lower != null || upper != null) {
            condition.range = new Range(lower, lowerInclusive, upper, upperInclusive);
        }
        if (condition.points != null && condition.range != null) {
            condition.whole = false; // equality serves; the range is left to the filter
        }
        return condition.points == null && condition.range == null ? null : condition;
    }

    private static Object normalized(Object value) {
        return new KeyValue(value).normalized().get(0);
    }

    /** The type class of a value an index serves (0: not served); values of one class compare as MongoDB's. */
    private static int rank(Object value) {
        if (value instanceof Double d && d.isNaN() || value instanceof Float f && f.isNaN()) {
            return 0;
        }
        if (value instanceof Number) {
            return value instanceof Decimal128 ? 0 : 1;
        }
        if (value instanceof String) {
            return 2;
        }
        if (value instanceof Instant) {
            return 3;
        }
        if (value instanceof ObjectId) {
            return 4;
        }
        if (value instanceof Boolean) {
            return 5;
        }
        return 0;
    }

    private Iterator<SecondaryIndex.Entry> entries() {
        List<Iterator<SecondaryIndex.Entry>> parts = new ArrayList<>();
        for (Scan scan : scans) {
            var range = scan.index().range(scan.from(), scan.to());
            parts.add(reversed ? range.descendingIterator() : range.iterator());
        }
        return parts.stream().flatMap(it -> StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED), false)).iterator();
    }

    /** The candidate documents, in index order when {@link #inOrder}; `sort` orders each run of equal index keys. */
    @SuppressWarnings("unchecked")
    public Stream<Document> documents(Function<P, Document> fetch, Comparator<Document> sort) {
        long[] examined = EXAMINED.get();
        Function<P, Document> counted = position -> {
            examined[0]++;
            return fetch.apply(position);
        };
        if (inOrder) {
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(
                new RunSorter(entries(), counted, runKeys > 0 ? sort : null), Spliterator.ORDERED), false);
        }
        // Not in the sort's order (or none asked): in the collection's natural order, as a scan reads them.
        Stream<P> positions = Stream.concat(looked.stream(), StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(entries(), Spliterator.ORDERED), false)
            .map(entry -> (P) entry.position));
        if (distinct) {
            positions = positions.distinct();
        }
        List<P> natural = positions.sorted((a, b) -> SecondaryIndex.compareValues(a, b, true)).toList();
        return natural.stream().map(counted).filter(java.util.Objects::nonNull);
    }

    /**
     * The number of documents that match `matches`. The entries of countable scans are counted
     * between their bounds without being read, when those scans are of one index and do not
     * overlap; the other candidates are read and matched (once each, and not when a counted
     * scan holds them).
     */
    @SuppressWarnings("unchecked")
    public int count(Function<P, Document> fetch, Predicate<Document> matches) {
        long[] examined = EXAMINED.get();
        List<Scan> counted = new ArrayList<>();
        List<Scan> read = new ArrayList<>();
        for (Scan scan : scans) {
            (scan.countable() ? counted : read).add(scan);
        }
        if (!looked.isEmpty() || !disjoint(counted)) {
            read = scans;
            counted = List.of();
        }
        int count = 0;
        for (Scan scan : counted) {
            count += ((SecondaryIndex<P>) scan.index()).countBetween(scan.from(), scan.to());
        }
        Set<Object> seen = new HashSet<>();
        List<P> candidates = new ArrayList<>(looked);
        for (Scan scan : read) {
            for (SecondaryIndex.Entry entry : scan.index().range(scan.from(), scan.to())) {
                candidates.add((P) entry.position);
                if (counted.stream().anyMatch(c -> c.index() == scan.index() && within(c, entry))) {
                    seen.add(entry.position); // counted already
                }
            }
        }
        for (P position : candidates) {
            if (!seen.add(position)) {
                continue;
            }
            examined[0]++;
            Document document = fetch.apply(position);
            if (document != null && matches.test(document)) {
                count++;
            }
        }
        return count;
    }

    private static boolean within(Scan scan, SecondaryIndex.Entry entry) {
        return scan.index().compareEntries(scan.from(), entry) < 0 && scan.index().compareEntries(entry, scan.to()) < 0;
    }

    /** Scans of one index whose ranges do not overlap (so their counts add up). */
    private static boolean disjoint(List<Scan> scans) {
        for (int i = 0; i < scans.size(); i++) {
            for (int j = i + 1; j < scans.size(); j++) {
                Scan a = scans.get(i);
                Scan b = scans.get(j);
                if (a.index() != b.index() || !(a.index().compareEntries(a.to(), b.from()) < 0
                    || b.index().compareEntries(b.to(), a.from()) < 0)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Index-ordered entries to documents, each run of equal sort keys in the index sorted by the whole sort. */
    private final class RunSorter implements Iterator<Document> {
        private final Iterator<SecondaryIndex.Entry> source;
        private final Function<P, Document> fetch;
        private final Comparator<Document> sort;
        private final List<Document> run = new ArrayList<>();
        private int next;
        private SecondaryIndex.Entry pending;

        RunSorter(Iterator<SecondaryIndex.Entry> source, Function<P, Document> fetch, Comparator<Document> sort) {
            this.source = source;
            this.fetch = fetch;
            this.sort = sort;
        }

        @Override
        public boolean hasNext() {
            if (next < run.size()) {
                return true;
            }
            run.clear();
            next = 0;
            SecondaryIndex.Entry first = pending != null ? pending : (source.hasNext() ? source.next() : null);
            pending = null;
            if (first == null) {
                return false;
            }
            List<SecondaryIndex.Entry> entries = new ArrayList<>();
            entries.add(first);
            while (source.hasNext()) {
                SecondaryIndex.Entry entry = source.next();
                if (!sameRun(first, entry)) {
                    pending = entry;
                    break;
                }
                entries.add(entry);
            }
            // Ties of the sort in the natural order, as the scan's stable sort leaves them.
            entries.sort((a, b) -> SecondaryIndex.compareValues(a.position, b.position, true));
            for (SecondaryIndex.Entry entry : entries) {
                @SuppressWarnings("unchecked")
                Document document = fetch.apply((P) entry.position);
                if (document != null) {
                    run.add(document);
                }
            }
            if (sort != null) {
                run.sort(sort);
            }
            return !run.isEmpty() || hasNext();
        }

        private boolean sameRun(SecondaryIndex.Entry a, SecondaryIndex.Entry b) {
            for (int i = runStart; i < runStart + runSlots; i++) {
                if (SecondaryIndex.compareValues(a.key[i], b.key[i], true) != 0) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public Document next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return run.get(next++);
        }
    }
}
