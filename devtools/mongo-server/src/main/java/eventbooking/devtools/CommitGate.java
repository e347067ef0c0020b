package eventbooking.devtools;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

import org.h2.mvstore.MVStore;

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
 * <p>The store is opened with auto-commit off (the library's background thread would commit at
 * any moment, half-done commands included), so the housekeeping that thread did (rewriting
 * chunks with a low fill rate) runs here, under the exclusive lock, at most once a second.
 */
final class CommitGate {

    /** Rewrite chunks whose live data fell below this percentage (the library's default). */
    private static final int TARGET_FILL_RATE = 90;
    /** At most this many bytes rewritten per housekeeping round, so no commit stalls for long. */
    private static final int HOUSEKEEPING_WRITE_BYTES = 256 * 1024;
    private static final long HOUSEKEEPING_INTERVAL_NANOS = 1_000_000_000L;

    private final MVStore store;
    private final boolean fsync;
    private final ReentrantReadWriteLock commands = new ReentrantReadWriteLock();

    // guarded by this
    private long finished;   // write commands finished so far; a command's number is its ticket
    private long durable;    // every ticket up to this one is committed (and synced with fsync)
    private boolean committing;
    private long failedUpTo; // tickets up to this one were in a commit that failed
    private long lastHousekeeping = System.nanoTime();

    CommitGate(MVStore store, boolean fsync) {
        this.store = store;
        this.fsync = fsync;
    }

    /** Runs a command that may write; returns its reply once the store holds what it did. */
    <T> T write(Supplier<T> command) {
        long ticket;
        T reply;
        commands.readLock().lock();
        try {
            reply = command.get();
        } finally {
            synchronized (this) {
                ticket = ++finished;
            }
            commands.readLock().unlock();
        }
        awaitCommit(ticket);
        return reply;
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

    /** Commits under the exclusive lock; returns the last ticket covered. */
    private long commit() {
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
            store.commit();
            if (store.isClosed()) { // commit() does nothing on a store closed by an earlier failure
                throw notStored();
            }
        } finally {
            commands.writeLock().unlock();
        }
        if (fsync) {
            store.sync();
        }
        return covers;
    }
}
