namespace Tern.Threading;

/// <summary>
/// A persistent pool of worker threads for data-parallel loops. <see cref="For"/> splits [0, count) into one
/// contiguous chunk per thread (the caller's thread does chunk 0), so the split, and therefore every result,
/// depends only on the count and the thread count. Bodies are reusable objects: nothing is allocated per call.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly CountdownEvent _done = new(1);
    private IParallelBody? _body;
    private int _count, _workers, _granule;
    private Exception? _error;
    private volatile bool _disposed;

    public WorkerPool(int threads)
    {
        if (threads < 1 || threads > 1024) throw new ArgumentOutOfRangeException(nameof(threads), "thread count must be between 1 and 1024");
        ThreadCount = threads;
        _threads = new Thread[threads - 1];
        _start = new SemaphoreSlim[threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int index = i + 1;
            _start[i] = new SemaphoreSlim(0);
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
    public void For(int count, IParallelBody body, int granule = 1)
    {
        if (count <= 0) return;
        int workers = Math.Min(ThreadCount, (count + granule - 1) / granule);
        if (workers == 1)
        {
            body.Run(0, count);
            return;
        }
        _body = body; _count = count; _workers = workers; _granule = granule; _error = null;
        _done.Reset(workers - 1);
        for (int i = 0; i < workers - 1; i++) _start[i].Release();
        var (s, e) = Chunk(count, 0, workers, granule);
        try { body.Run(s, e); }
        catch (Exception ex) { _error ??= ex; }
        _done.Wait();
        _body = null;
        if (_error is { } error) throw new AggregateException("a worker failed", error);
    }

    private void WorkerLoop(int index)
    {
        while (true)
        {
            _start[index - 1].Wait();
            if (_disposed) return;
            try
            {
                var (s, e) = Chunk(_count, index, _workers, _granule);
                _body!.Run(s, e);
            }
            catch (Exception ex) { Interlocked.CompareExchange(ref _error, ex, null); }
            finally { _done.Signal(); }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in _start) s.Release();
    }
}

/// <summary>A loop body over an index range, run by <see cref="WorkerPool.For"/>. Implementations are reused across calls.</summary>
public interface IParallelBody
{
    void Run(int start, int end);
}
