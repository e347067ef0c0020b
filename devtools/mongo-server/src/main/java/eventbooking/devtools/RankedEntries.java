package eventbooking.devtools;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * An index's entries in sorted blocks, to count the entries between two bounds without reading
 * them: rank(bound) is the number of entries before the bound (the blocks before its block, then
 * a binary search in it). For 10,000 entries that is about 20 blocks and one search, where a walk
 * of the range reads every entry. Kept beside the index's ordered set, under the index's lock.
 */
final class RankedEntries {

    private static final int BLOCK = 512;

    private final Comparator<SecondaryIndex.Entry> comparator;
    private final List<ArrayList<SecondaryIndex.Entry>> blocks = new ArrayList<>();

    RankedEntries(Comparator<SecondaryIndex.Entry> comparator) {
        this.comparator = comparator;
    }

    /** The first block whose last entry is not before `entry` (blocks.size() when none). */
    private int blockOf(SecondaryIndex.Entry entry) {
        int low = 0;
        int high = blocks.size();
        while (low < high) {
            int middle = (low + high) >>> 1;
            List<SecondaryIndex.Entry> block = blocks.get(middle);
            if (comparator.compare(block.get(block.size() - 1), entry) < 0) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    void add(SecondaryIndex.Entry entry) {
        if (blocks.isEmpty()) {
            blocks.add(new ArrayList<>(List.of(entry)));
            return;
        }
        int b = Math.min(blockOf(entry), blocks.size() - 1);
        ArrayList<SecondaryIndex.Entry> block = blocks.get(b);
        int at = Collections.binarySearch(block, entry, comparator);
        if (at >= 0) {
            return; // already there
        }
        block.add(-at - 1, entry);
        if (block.size() > 2 * BLOCK) {
            ArrayList<SecondaryIndex.Entry> upper = new ArrayList<>(block.subList(BLOCK, block.size()));
            block.subList(BLOCK, block.size()).clear();
            blocks.add(b + 1, upper);
        }
    }

    void remove(SecondaryIndex.Entry entry) {
        int b = blockOf(entry);
        if (b == blocks.size()) {
            return;
        }
        ArrayList<SecondaryIndex.Entry> block = blocks.get(b);
        int at = Collections.binarySearch(block, entry, comparator);
        if (at >= 0) {
            block.remove(at);
            if (block.isEmpty()) {
                blocks.remove(b);
            }
        }
    }

    /** The number of entries before `bound` (a bound, which no entry equals). */
    int rank(SecondaryIndex.Entry bound) {
        int b = blockOf(bound);
        int rank = 0;
        for (int i = 0; i < b; i++) {
            rank += blocks.get(i).size();
        }
        if (b < blocks.size()) {
            int at = Collections.binarySearch(blocks.get(b), bound, comparator);
            rank += at >= 0 ? at : -at - 1;
        }
        return rank;
    }

    void clear() {
        blocks.clear();
    }
}
