package eventbooking.devtools;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

import org.h2.mvstore.MVStore;
import org.h2.mvstore.SingleFileStore;
import org.h2.mvstore.WriteBuffer;

/**
 * Commits the MVStore before a write is acknowledged, with group commit.
 *
 * <p>A write command runs holding the shared side of a read-write lock and then waits until a
 * commit covers it. A commit takes the exclusive side, so it never sees a command half done (a
 * document stored but its unique-index entry not yet, one document of a batch), and covers every
 * write that finished before it started: concurrent writers share one commit. With {@code fsync},
 * the commit is followed by {@code FileChannel.force} before the writers it covers are released;
 * the next group runs its commands meanwhile.
 *
 * <p>The exclusive side is held only for the commit's cut, not while the commit writes. The store
 * is copy-on-write: a commit first takes the root page of every map as it is (the cut: the
 * version it stores), then serializes and writes those pages, while writes already go to the
 * next version (the library's own background commit works that way). The store's file is a
 * {@link CutSignal} that tells the gate when the commit asks for its write buffer, which the
 * library does once per commit, after the cut and before serializing ({@code MVStore.store} →
 * {@code storeNow} → {@code collectChangedMapRoots}, then {@code FileStore.storeIt} →
 * {@code serializeAndStore} → {@code getWriteBuffer}); the gate releases the commands there, and
 * in any case when the commit returns. So commands of the next group run while a commit writes,
 * instead of queueing behind it.
 *
 * <p>When writes come from several connections (they are served on several event-loop threads), a
 * commit waits half a millisecond before its cut, so that the writes on their way share it rather
 * than each starting one of its own; a lone writer, on one thread, never waits.
 *
 * <p>A write sent with {@code j: false} does not wait: it is acknowledged once applied, and the
 * next commit covers it, one started by a journaled write or by a thread that commits what is
 * left uncommitted every {@link #LAZY_COMMIT_MILLIS} ms.
 *
 * <p>The store is opened with auto-commit off (the library's background thread would commit at
 * any moment, half-done commands included) and without its commit on a full write buffer (the
 * same, from inside a large command), so the housekeeping that thread did (rewriting chunks with
 * a low fill rate) runs here, under the exclusive lock, at most once a second.
 */
final class CommitGate {

    /** Rewrite chunks whose live data fell below this percentage (the library's default). */
    private static final int TARGET_FILL_RATE = 90;
    /** At most this many bytes rewritten per housekeeping round, so no commit stalls for long. */
    private static final int HOUSEKEEPING_WRITE_BYTES = 256 * 1024;
    private static final long HOUSEKEEPING_INTERVAL_NANOS = 1_000_000_000L;
    /**
     * A commit writes every page a write changed whole, its documents serialized again: pages of
     * at most 16 entries instead of the library's 48 leave less to serialize per commit.
     */
    private static final int KEYS_PER_PAGE = 16;
    /**
     * With concurrent writers, a commit waits this long before its cut, so that the writes on
     * their way join it: one commit for several, a little later each.
     */
    private static final long GATHER_NANOS = 500_000L;
    /** Writers count as concurrent when writes came from two threads within this time. */
    private static final long CONCURRENT_WRITERS_NANOS = 20_000_000L;
    /** Commits what unjournaled writes left uncommitted, at most this long after them. */
    static final long LAZY_COMMIT_MILLIS = 100;

    private final MVStore store;
    private final boolean fsync;
    private final ReentrantReadWriteLock commands = new ReentrantReadWriteLock();
    /** The thread committing while it holds the exclusive side, until its cut; null otherwise. */
    private volatile Thread cutting;

    // guarded by this
    private long finished;   // write commands finished so far; a command's number is its ticket
    private long durable;    // every ticket up to this one is committed (and synced with fsync)
    private boolean committing;
    private long failedUpTo; // tickets up to this one were in a commit that failed
    private long lastHousekeeping = System.nanoTime();
    private Thread lastWriter;   // the event-loop thread of the last write command
    private long otherWriterAt = System.nanoTime() - 2 * CONCURRENT_WRITERS_NANOS; // a write from another thread than the one before
    private boolean lazyCommitter; // started by the first unjournaled write

    private CommitGate(MVStore store, boolean fsync) {
        this.store = store;
        this.fsync = fsync;
    }

    /** Opens (or creates) the store in {@code file} with a gate of its own. */
    static CommitGate open(Path file, boolean fsync) {
        CutSignal fileStore = new CutSignal();
        fileStore.open(file.toString(), false, (char[]) null);
        MVStore store = new MVStore.Builder()
            .adoptFileStore(fileStore)
            .autoCommitDisabled()
            .autoCommitBufferSize(0)
            .keysPerPage(KEYS_PER_PAGE)
            .open();
        CommitGate gate = new CommitGate(store, fsync);
        fileStore.gate = gate;
        return gate;
    }

    MVStore store() {
        return store;
    }

    /** Runs a command that may write; returns its reply once the store holds what it did. */
    <T> T write(Supplier<T> command) {
        return write(command, true);
    }

    /**
     * Runs a command that may write; with {@code journaled} false, returns its reply as soon as
     * the command is applied (MongoDB's {@code j: false}), without waiting for a commit. The next
     * commit, started by a journaled write of any client or within {@link #LAZY_COMMIT_MILLIS},
     * stores it: every commit covers every command applied before its cut, so once a journaled
     * write is acknowledged, every write applied before it is stored as well.
     */
    <T> T write(Supplier<T> command, boolean journaled) {
        long ticket;
        T reply;
        commands.readLock().lock();
        try {
            reply = command.get();
        } finally {
            synchronized (this) {
                ticket = ++finished;
                Thread me = Thread.currentThread();
                if (me != lastWriter) {
                    lastWriter = me;
                    otherWriterAt = System.nanoTime();
                }
            }
            commands.readLock().unlock();
        }
        if (journaled) {
            awaitCommit(ticket);
        } else {
            startLazyCommitter();
        }
        return reply;
    }

    private synchronized void startLazyCommitter() {
        if (lazyCommitter) {
            return;
        }
        lazyCommitter = true;
        Thread thread = new Thread(() -> {
            while (!store.isClosed()) {
                try {
                    Thread.sleep(LAZY_COMMIT_MILLIS);
                    long last;
                    synchronized (this) {
                        last = durable < finished && failedUpTo < finished ? finished : 0;
                    }
                    if (last > 0) {
                        awaitCommit(last);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // a failed commit is reported to the journaled writes it covered; try again later
                }
            }
        }, "local-mongo-lazy-commit");
        thread.setDaemon(true);
        thread.start();
    }

    private void awaitCommit(long ticket) {
        synchronized (this) {
            boolean interrupted = false;
            try {
                while (durable < ticket) {
                    if (failedUpTo >= ticket) {
                        throw notStored();
                    }
                    if (!committing) {
                        break;
                    }
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            if (durable >= ticket) {
                return;
            }
            committing = true;
        }
        // this thread leads the next commit; it covers every command finished before it starts
        long covers = -1;
        try {
            covers = commit();
        } finally {
            synchronized (this) {
                if (covers >= 0) {
                    durable = Math.max(durable, covers);
                } else {
                    failedUpTo = finished;
                }
                committing = false;
                notifyAll();
            }
        }
        if (ticket > covers) {
            throw notStored();
        }
    }

    private static IllegalStateException notStored() {
        return new IllegalStateException("the local store could not commit this write; see the server's log");
    }

    /** Commits, the cut under the exclusive lock; returns the last ticket covered. */
    private long commit() {
        long sinceOtherWriter;
        synchronized (this) {
            sinceOtherWriter = System.nanoTime() - otherWriterAt;
        }
        if (sinceOtherWriter < CONCURRENT_WRITERS_NANOS) {
            LockSupport.parkNanos(GATHER_NANOS);
        }
        long covers;
        commands.writeLock().lock();
        try {
            synchronized (this) {
                covers = finished;
            }
            long now = System.nanoTime();
            if (now - lastHousekeeping > HOUSEKEEPING_INTERVAL_NANOS) {
                lastHousekeeping = now;
                store.compact(TARGET_FILL_RATE, HOUSEKEEPING_WRITE_BYTES);
            }
            cutting = Thread.currentThread();
            store.commit();
            if (store.isClosed()) { // commit() does nothing on a store closed by an earlier failure
                throw notStored();
            }
        } finally {
            releaseCommands();
        }
        if (fsync) {
            store.sync();
        }
        return covers;
    }

    /** Lets commands run again: at the cut of the commit this thread makes, or after it. */
    private void releaseCommands() {
        if (commands.isWriteLockedByCurrentThread()) {
            cutting = null;
            commands.writeLock().unlock();
        }
    }

    /** The store's file, telling the gate when a commit has taken its cut (see the class comment). */
    private static final class CutSignal extends SingleFileStore {
        volatile CommitGate gate;

        CutSignal() {
            super(new HashMap<>());
        }

        @Override
        public WriteBuffer getWriteBuffer() {
            WriteBuffer buffer = super.getWriteBuffer();
            CommitGate owner = gate;
            // only the commit started by commit(): the housekeeping's own commits keep the lock
            if (owner != null && owner.cutting == Thread.currentThread()) {
                owner.releaseCommands();
            }
            return buffer;
        }
    }
}
