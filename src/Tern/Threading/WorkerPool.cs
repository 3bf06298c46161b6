namespace Tern.Threading;

/// <summary>
/// A persistent pool of worker threads for data-parallel loops. <see cref="For"/> splits [0, count) into one
/// contiguous chunk per thread (the caller's thread does chunk 0), so the split, and therefore every result,
/// depends only on the count and the thread count. Bodies are reusable objects: nothing is allocated per call.
/// </summary>
/// <remarks>
/// A forward pass issues hundreds of short parallel operations per token, so waking a blocked thread each time
/// (tens of microseconds) would cost milliseconds per token. Workers therefore spin on a generation counter for a
/// while after each operation and only then block on a semaphore; the dispatcher wakes only sleeping workers.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    private const int SpinIterations = 2_000;  // × Thread.SpinWait(20): well under a millisecond before a worker sleeps
    private const int CallerSpinIterations = 2_000;

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private readonly SemaphoreSlim _done = new(0);
    private int _callerSleeping;
    private int _generation;
    private int _pending;
    private IParallelBody? _body;
    private int _count, _workers, _granule;
    private int _pieces, _nextPiece; // ForPieces: how many, and the next one to take
    private Exception? _error;
    private volatile bool _disposed;

    public WorkerPool(int threads)
    {
        if (threads < 1 || threads > 1024) throw new ArgumentOutOfRangeException(nameof(threads), "thread count must be between 1 and 1024");
        ThreadCount = threads;
        _threads = new Thread[threads - 1];
        _wake = new SemaphoreSlim[threads - 1];
        _sleeping = new int[threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int index = i + 1;
            _wake[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"tern-worker-{index}" };
            _threads[i].Start();
        }
    }

    public int ThreadCount { get; }

    /// <summary>The default thread count: the number of logical processors (-t overrides).</summary>
    public static int DefaultThreadCount => Math.Clamp(Environment.ProcessorCount, 1, 64);

    /// <summary>Chunk [start, end) of <paramref name="count"/> items for worker <paramref name="index"/>; edges are multiples of <paramref name="granule"/>.</summary>
    public static (int Start, int End) Chunk(int count, int index, int workers, int granule = 1)
    {
        int units = (count + granule - 1) / granule;
        int start = (int)((long)units * index / workers) * granule;
        int end = (int)((long)units * (index + 1) / workers) * granule;
        return (Math.Min(start, count), Math.Min(end, count));
    }

    /// <summary>Runs <c>body.Run(start, end)</c> on each thread's chunk of [0, count). Not re-entrant.</summary>
    public void For(int count, IParallelBody body, int granule = 1) => Run(count, body, granule, 0);

    /// <summary>
    /// Like <see cref="For"/>, but [0, count) is cut into <paramref name="pieces"/> equal pieces (whole granules) that the
    /// threads take one by one as they finish: for memory-bound work, where a thread slowed down by the machine would
    /// otherwise leave the other waiting on its fixed half. Which thread runs a piece never changes what it computes.
    /// </summary>
    public void ForPieces(int count, IParallelBody body, int granule, int pieces) => Run(count, body, granule, Math.Max(pieces, 1));

    private void Run(int count, IParallelBody body, int granule, int pieces)
    {
        if (count <= 0) return;
        ObjectDisposedException.ThrowIf(_disposed, this);
        int workers = Math.Min(ThreadCount, (count + granule - 1) / granule);
        if (workers == 1)
        {
            body.Run(0, count);
            return;
        }
        _pieces = Math.Min(pieces, (count + granule - 1) / granule);
        _nextPiece = 0;
        _body = body; _count = count; _workers = workers; _granule = granule; _error = null;
        // Every pool thread acknowledges every generation, even with no chunk to run: otherwise a thread that is late
        // to notice one generation could read the next one's parameters and run a chunk twice.
        Volatile.Write(ref _pending, _threads.Length);
        Interlocked.Increment(ref _generation); // publishes the fields above (full fence)
        for (int i = 0; i < _threads.Length; i++)
            if (Interlocked.Exchange(ref _sleeping[i], 0) == 1) _wake[i].Release();
        try { RunShare(0); }
        catch (Exception ex) { Interlocked.CompareExchange(ref _error, ex, null); }
        // Spin briefly for the other chunks, then block (on a busy machine the workers may need this core).
        for (int spins = 0; Volatile.Read(ref _pending) != 0;)
        {
            if (++spins < CallerSpinIterations) { Thread.SpinWait(20); continue; }
            Interlocked.Exchange(ref _callerSleeping, 1);
            if (Volatile.Read(ref _pending) != 0) _done.Wait();
            Interlocked.Exchange(ref _callerSleeping, 0);
        }
        while (_done.CurrentCount > 0) _done.Wait(0); // drop a wake-up that raced with the last check
        _body = null;
        if (_error is { } error) throw new AggregateException("a worker failed", error);
    }

    private void WorkerLoop(int index)
    {
        int seen = 0; // not the current value: a thread that starts late must still run the generations already published
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen)
            {
                if (_disposed) return;
                if (++spins < SpinIterations)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                // Announce sleep, re-check (the dispatcher may have moved on meanwhile), then block.
                Interlocked.Exchange(ref _sleeping[index - 1], 1);
                if (Volatile.Read(ref _generation) == seen && !_disposed) _wake[index - 1].Wait();
                Interlocked.Exchange(ref _sleeping[index - 1], 0);
                spins = 0;
            }
            seen = Volatile.Read(ref _generation);
            if (_disposed) return;
            try
            {
                if (index < _workers) RunShare(index);
            }
            catch (Exception ex) { Interlocked.CompareExchange(ref _error, ex, null); }
            finally
            {
                if (Interlocked.Decrement(ref _pending) == 0 && Interlocked.Exchange(ref _callerSleeping, 0) == 1) _done.Release();
            }
        }
    }

    /// <summary>Thread <paramref name="index"/>'s part: its fixed chunk, or pieces taken until none is left.</summary>
    private void RunShare(int index)
    {
        if (_pieces == 0)
        {
            var (s, e) = Chunk(_count, index, _workers, _granule);
            _body!.Run(s, e);
            return;
        }
        for (int piece; (piece = Interlocked.Increment(ref _nextPiece) - 1) < _pieces;)
        {
            var (s, e) = Chunk(_count, piece, _pieces, _granule);
            if (s < e) _body!.Run(s, e);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in _wake) s.Release();
    }
}

/// <summary>A loop body over an index range, run by <see cref="WorkerPool.For"/>. Implementations are reused across calls.</summary>
public interface IParallelBody
{
    void Run(int start, int end);
}
