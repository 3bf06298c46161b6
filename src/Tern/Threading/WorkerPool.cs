using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tern.Threading;

/// <summary>
/// A persistent pool of worker threads for data-parallel loops. An operation cuts [0, count) into pieces (whole
/// granules; <see cref="Chunk"/>) that are claimed one by one from an atomic counter by whichever thread is free,
/// the caller's thread included: a worker the machine has descheduled never holds up a piece it has not started,
/// the caller simply takes it. Every body computes each index independently of the range it is given, so results
/// never depend on which thread ran which piece nor on the split. Bodies are reusable objects: nothing is allocated
/// per call.
/// </summary>
/// <remarks>
/// A forward pass issues hundreds of short parallel operations per token, so waking a blocked thread each time
/// (microseconds) would cost a lot per token. Workers therefore spin on the claim word for a short while (tens of
/// microseconds, by the clock) after each operation and only then park on an event; the dispatcher wakes only parked
/// workers. The spin is kept short because on a shared machine a spinning thread takes a core another process (or
/// this process's own caller thread) needs: under CFS group scheduling the competitor may be in the same share.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    /// <summary>Most pieces in one operation: the piece count and the next piece share the low 32 bits of the claim word.</summary>
    public const int MaxPieces = 0xFFFF;

    private static readonly long WorkerSpinTicks = Stopwatch.Frequency * 50 / 1_000_000; // 50 µs, then park
    private static readonly long CallerSpinTicks = Stopwatch.Frequency * 20 / 1_000_000; // 20 µs, then block

    private readonly Thread[] _threads;
    private readonly ManualResetEventSlim[] _wake;
    private readonly ManualResetEventSlim _done = new(false, spinCount: 0);
    private HotState _s; // the words every thread touches, on separate cache lines
    private readonly int[] _sleeping; // per worker: 1 while it is (about to be) parked; 16 ints apart
    private readonly LoadGovernor _governor;
    private IParallelBody? _body;
    private int _count, _granule;
    private int _active; // threads taking part in the current operation (workers 0 .. _active − 2, and the caller)
    private Exception? _error;
    private volatile bool _disposed;

    /// <summary>
    /// Claim = (generation &lt;&lt; 32) | (pieces &lt;&lt; 16) | next piece. A thread claims a piece with one compare-exchange
    /// of the whole word, so a thread still holding a value read during an earlier operation can never claim a piece of
    /// a later one (the generation differs), and the piece count it sees is that of the operation it claims in.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct HotState
    {
        [FieldOffset(0)] public long Claim;
        [FieldOffset(64)] public int Finished;       // pieces of the current operation that have run
        [FieldOffset(128)] public int CallerSleeping; // 1 while the caller is (about to be) blocked on _done
    }

    public WorkerPool(int threads) : this(threads, adaptive: true) { }

    /// <param name="threads">threads, the caller's included</param>
    /// <param name="adaptive">false: never run on fewer threads when the machine is busy (tests that need the workers)</param>
    internal WorkerPool(int threads, bool adaptive)
    {
        if (threads < 1 || threads > 1024) throw new ArgumentOutOfRangeException(nameof(threads), "thread count must be between 1 and 1024");
        ThreadCount = threads;
        _threads = new Thread[threads - 1];
        _wake = new ManualResetEventSlim[threads - 1];
        _sleeping = new int[threads * 16];
        _governor = new LoadGovernor(threads, adaptive);
        for (int i = 0; i < _threads.Length; i++)
        {
            int index = i;
            _wake[i] = new ManualResetEventSlim(false, spinCount: 0); // the pool does its own (timed) spinning
            _threads[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"tern-worker-{index + 1}" };
            _threads[i].Start();
        }
    }

    public int ThreadCount { get; }

    /// <summary>The default thread count: the number of logical processors (-t overrides, up to that number).</summary>
    public static int DefaultThreadCount => Math.Clamp(Environment.ProcessorCount, 1, 64);

    /// <summary>Chunk [start, end) of <paramref name="count"/> items for piece <paramref name="index"/> of <paramref name="workers"/>; edges are multiples of <paramref name="granule"/>.</summary>
    public static (int Start, int End) Chunk(int count, int index, int workers, int granule = 1)
    {
        int units = (count + granule - 1) / granule;
        int start = (int)((long)units * index / workers) * granule;
        int end = (int)((long)units * (index + 1) / workers) * granule;
        return (Math.Min(start, count), Math.Min(end, count));
    }

    /// <summary>
    /// Work (in multiply-adds or element operations, roughly) below which a piece is not worth handing to another
    /// thread: about a microsecond on one core, against a few hundred nanoseconds for the cache lines of the claim,
    /// the body's fields and its output to cross between cores.
    /// </summary>
    public const long MinPieceWork = 1 << 16;

    /// <summary>How many pieces <paramref name="work"/> is worth cutting into, at most <paramref name="max"/> (at least 1).</summary>
    public static int PiecesFor(long work, int max) => (int)Math.Clamp(work / MinPieceWork, 1, Math.Max(max, 1));

    /// <summary>
    /// Runs <c>body.Run(start, end)</c> over [0, count) in one long range per thread (for kernels that amortize work
    /// over long ranges), each range claimed by whichever thread gets to it first; with <paramref name="work"/> (the
    /// whole operation's, see <see cref="MinPieceWork"/>) small operations use fewer threads or run on the caller alone.
    /// Not re-entrant.
    /// </summary>
    public void For(int count, IParallelBody body, int granule = 1, long work = long.MaxValue) => Run(count, body, granule, PiecesFor(work, ThreadCount), perThread: true);

    /// <summary>
    /// Like <see cref="For"/>, but [0, count) is cut into <paramref name="pieces"/> equal pieces (whole granules) that the
    /// threads take one by one as they finish: for memory-bound work, where a thread slowed down by the machine would
    /// otherwise leave the other waiting on its long range. Which thread runs a piece never changes what it computes.
    /// </summary>
    public void ForPieces(int count, IParallelBody body, int granule, int pieces) => Run(count, body, granule, Math.Max(pieces, 1), perThread: false);

    /// <summary>Threads (the caller included) the last operation was offered to: fewer than <see cref="ThreadCount"/> while the machine is busy (<see cref="LoadGovernor"/>).</summary>
    public int ActiveThreads => _governor.Active;

    /// <summary>Operations large enough to share so far, and how many of them ran on fewer threads because the machine was busy.</summary>
    public long ParallelOperations { get; private set; }

    /// <inheritdoc cref="ParallelOperations"/>
    public long ReducedOperations { get; private set; }

    private void Run(int count, IParallelBody body, int granule, int pieces, bool perThread)
    {
        if (count <= 0) return;
        ObjectDisposedException.ThrowIf(_disposed, this);
        int units = (count + granule - 1) / granule;
        int p = Math.Min(Math.Min(pieces, units), MaxPieces);
        if (p <= 1 || ThreadCount == 1)
        {
            body.Run(0, count);
            return;
        }
        _governor.Update(Stopwatch.GetTimestamp());
        int active = _governor.Active;
        ParallelOperations++;
        if (active < ThreadCount) ReducedOperations++;
        if (perThread) p = Math.Min(p, active);
        if (active == 1 || p == 1)
        {
            body.Run(0, count); // the same values as any split
            return;
        }
        _body = body; _count = count; _granule = granule; _error = null; _active = active;
        _s.Finished = 0;
        long generation = (Volatile.Read(ref _s.Claim) >>> 32) + 1; // wraps after 2³² operations: harmless (see Claim)
        // The exchange is a full fence: the fields above are visible to any thread whose claim succeeds on this word.
        Interlocked.Exchange(ref _s.Claim, generation << 32 | (long)p << 16);
        // Wake parked workers, as many as could get a piece the caller leaves (spinning ones find the word themselves).
        // Dekker with the worker's announce-then-recheck: either it sees the new word, or we see its flag and wake it.
        for (int i = 0, woken = 0; i < active - 1 && woken < p - 1; i++)
            if (Interlocked.Exchange(ref _sleeping[i * 16], 0) == 1) { _wake[i].Set(); woken++; }
        RunPieces(generation);
        WaitForPieces(p);
        _body = null;
        if (_error is { } error) throw new AggregateException("a worker failed", error);
    }

    /// <summary>Claims and runs pieces of operation <paramref name="generation"/> until none is left (or a later operation began).</summary>
    private void RunPieces(long generation)
    {
        while (true)
        {
            long c = Volatile.Read(ref _s.Claim);
            if (c >>> 32 != generation) return;
            int pieces = (int)(c >> 16) & 0xFFFF, piece = (int)c & 0xFFFF;
            if (piece >= pieces) return;
            if (Interlocked.CompareExchange(ref _s.Claim, c + 1, c) != c) continue;
            // Piece claimed: the caller cannot finish (and start another operation) before it is counted, so the
            // fields read below are this operation's.
            try
            {
                var (s, e) = Chunk(_count, piece, pieces, _granule);
                if (s < e) _body!.Run(s, e);
            }
            catch (Exception ex) { Interlocked.CompareExchange(ref _error, ex, null); }
            finally
            {
                // Dekker with the caller's announce-then-recheck in WaitForPieces.
                if (Interlocked.Increment(ref _s.Finished) == pieces && Interlocked.Exchange(ref _s.CallerSleeping, 0) == 1) _done.Set();
            }
        }
    }

    /// <summary>The caller has nothing left to claim: spin briefly for the pieces still running, then block (the thread running one may need this core).</summary>
    private void WaitForPieces(int pieces)
    {
        long start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _s.Finished) != pieces)
        {
            if (Stopwatch.GetTimestamp() - start < CallerSpinTicks) { Thread.SpinWait(8); continue; }
            // Reset before announcing: a Set from an earlier wait is dropped, one racing with this wait is kept. A stale
            // Set only wakes us early, and the loop checks again.
            _done.Reset();
            Interlocked.Exchange(ref _s.CallerSleeping, 1);
            if (Volatile.Read(ref _s.Finished) != pieces) _done.Wait();
            Interlocked.Exchange(ref _s.CallerSleeping, 0);
        }
    }

    private void WorkerLoop(int index)
    {
        long seen = 0; // generation 0 is no operation; a thread that starts late still looks at the current one
        var wake = _wake[index];
        _governor.Register(index);
        bool excluded = false; // left out of the last operation: park at once instead of spinning
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _s.Claim) >>> 32 == seen)
            {
                if (_disposed) return;
                if (!excluded && Stopwatch.GetTimestamp() - start < WorkerSpinTicks)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                // Announce, re-check (the dispatcher may have published meanwhile), then park.
                wake.Reset();
                Interlocked.Exchange(ref _sleeping[index * 16], 1);
                if (Volatile.Read(ref _s.Claim) >>> 32 == seen && !_disposed) wake.Wait();
                Interlocked.Exchange(ref _sleeping[index * 16], 0);
                start = Stopwatch.GetTimestamp();
                excluded = false;
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _s.Claim) >>> 32;
            // _active was written before the word this thread just read (acquire): it is this operation's or a later
            // one's, and either way only decides whether to help; claiming below is what must be exact.
            excluded = index + 1 >= Volatile.Read(ref _active);
            if (!excluded) RunPieces(seen);
        }
    }

    /// <summary>Stops the workers (parked or spinning) and waits briefly for them to exit.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Interlocked.MemoryBarrier(); // a worker that re-checks after announcing sleep either sees the flag or gets the Set
        foreach (var w in _wake) w.Set();
        bool exited = true;
        foreach (var t in _threads) exited &= t.Join(TimeSpan.FromSeconds(5));
        if (!exited) return; // a worker stuck in a body: leave its event alone
        foreach (var w in _wake) w.Dispose();
        _done.Dispose();
        _governor.Dispose();
    }

    /// <summary>How many worker threads are still alive (for tests of disposal).</summary>
    internal int LiveWorkers => _threads.Count(t => t.IsAlive);

    /// <summary>How many workers have announced that they park (for tests).</summary>
    internal int ParkedWorkers => Enumerable.Range(0, _threads.Length).Count(i => Volatile.Read(ref _sleeping[i * 16]) == 1);

    /// <summary>The workers' total time on a core so far in ns (Linux; null elsewhere), for tests of parking.</summary>
    internal long? WorkerCpuNanoseconds => _governor.WorkerCpuNanoseconds();
}

/// <summary>A loop body over an index range, run by <see cref="WorkerPool.For"/>. Implementations are reused across calls.</summary>
public interface IParallelBody
{
    void Run(int start, int end);
}
