using Tern.Threading;

namespace Tern.Tests.Threading;

public class WorkerPoolTests
{
    private sealed class CountBody : IParallelBody
    {
        public int[] Hits = new int[4096];
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task EveryIndexRunsExactlyOnce_UnderRapidCallsOfVaryingSizes(int threads)
    {
        // Sizes change between 1 and more than the thread count, so some threads have no chunk in some calls: the case
        // where a late thread could otherwise pick up the next call's parameters and run a chunk twice.
        var done = Task.Run(() =>
        {
            using var pool = new WorkerPool(threads);
            var body = new CountBody();
            var rng = new Random(threads);
            for (int call = 0; call < 3000; call++)
            {
                int n = rng.Next(0, 4) == 0 ? 1 : rng.Next(1, 40);
                Array.Clear(body.Hits, 0, n);
                // Fixed chunks and pieces taken as threads finish, mixed (pieces: more, fewer or as many as the units).
                if (rng.Next(2) == 0) pool.For(n, body);
                else pool.ForPieces(n, body, granule: rng.Next(1, 4), pieces: rng.Next(1, 50));
                for (int i = 0; i < n; i++) Assert.Equal(1, body.Hits[i]);
            }
        });
        await done.WaitAsync(TimeSpan.FromSeconds(120)); // a TimeoutException says the pool hung
    }

    [Fact]
    public async Task AFreshPoolRunsItsFirstCall() // threads may start after the first call is published
    {
        for (int i = 0; i < 200; i++)
        {
            using var pool = new WorkerPool(3);
            var body = new CountBody();
            var t = Task.Run(() => pool.For(3, body));
            await t.WaitAsync(TimeSpan.FromSeconds(30)); // a TimeoutException says the pool hung
            Assert.Equal([1, 1, 1], body.Hits[..3]);
        }
    }

    [Fact]
    public void ExceptionsReachTheCaller()
    {
        using var pool = new WorkerPool(2, adaptive: false); // a busy machine would run it on the caller alone, which throws unwrapped
        var ex = Assert.Throws<AggregateException>(() => pool.For(10, new Throwing()));
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        pool.For(10, new CountBody()); // still usable
    }

    private sealed class Throwing : IParallelBody
    {
        public void Run(int start, int end) => throw new InvalidOperationException("boom");
    }

    [Fact]
    public void ChunksCoverTheRangeInGranules()
    {
        for (int workers = 1; workers <= 5; workers++)
        {
            int covered = 0;
            for (int w = 0; w < workers; w++)
            {
                var (s, e) = WorkerPool.Chunk(100, w, workers, 16);
                Assert.Equal(covered, s);
                Assert.True(s % 16 == 0 || s == 100);
                covered = e;
            }
            Assert.Equal(100, covered);
        }
    }

    /// <summary>The first range a worker thread gets blocks until every other index has run (or 20 s pass).</summary>
    private sealed class BlockedWorkerBody(int count) : IParallelBody
    {
        public readonly int[] Hits = new int[count];
        private int _done, _blocked;
        public int BlockedLength;
        public bool OthersFinishedWhileBlocked;

        public void Run(int start, int end)
        {
            if (Thread.CurrentThread.Name?.StartsWith("tern-worker", StringComparison.Ordinal) == true && Interlocked.Exchange(ref _blocked, 1) == 0)
            {
                BlockedLength = end - start;
                // Stands for a worker the machine has descheduled mid-piece: everything else must finish without it.
                OthersFinishedWhileBlocked = SpinWait.SpinUntil(() => Volatile.Read(ref _done) == count - (end - start), TimeSpan.FromSeconds(20));
            }
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
            Interlocked.Add(ref _done, end - start);
        }

        public bool WorkerBlocked => Volatile.Read(ref _blocked) == 1;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OthersTakeTheRestWhileOneWorkerIsHeldUp(bool longRanges)
    {
        var done = Task.Run(() =>
        {
            using var pool = new WorkerPool(3, adaptive: false); // the workers must take part even on a busy machine
            for (int attempt = 0; attempt < 2000; attempt++) // until a worker (not only the caller) got a range
            {
                var body = new BlockedWorkerBody(96);
                if (longRanges) pool.For(96, body);
                else pool.ForPieces(96, body, granule: 4, pieces: 12);
                Assert.All(body.Hits, h => Assert.Equal(1, h));
                if (!body.WorkerBlocked) continue;
                Assert.True(body.OthersFinishedWhileBlocked, "the other threads waited for the held-up worker's range");
                return;
            }
            Assert.Fail("no worker ever took a range");
        });
        await done.WaitAsync(TimeSpan.FromSeconds(120)); // a TimeoutException if the pool hung
    }

    [Fact]
    public async Task IdleWorkersParkAndStopUsingTheCpu()
    {
        var done = Task.Run(() =>
        {
            using var pool = new WorkerPool(3, adaptive: false);
            var body = new CountBody();
            for (int i = 0; i < 100; i++) pool.ForPieces(64, body, 1, 8);
            Assert.True(SpinWait.SpinUntil(() => pool.ParkedWorkers == 2, TimeSpan.FromSeconds(10)), "the workers never parked");
            if (pool.WorkerCpuNanoseconds is not long before) return; // no schedstat (not Linux)
            Thread.Sleep(200);
            long used = (pool.WorkerCpuNanoseconds ?? before) - before;
            Assert.True(used < 20_000_000, $"parked workers used {used / 1e6:F1} ms of CPU in 200 ms");
            // And they still wake for the next call.
            Array.Clear(body.Hits);
            pool.ForPieces(64, body, 1, 8);
            Assert.All(body.Hits[..64], h => Assert.Equal(1, h));
        });
        await done.WaitAsync(TimeSpan.FromSeconds(60)); // a TimeoutException if the pool hung
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DisposeStopsParkedAndSpinningWorkers(bool parked)
    {
        var done = Task.Run(() =>
        {
            var pool = new WorkerPool(4);
            pool.For(100, new CountBody());
            if (parked) Assert.True(SpinWait.SpinUntil(() => pool.ParkedWorkers == 3, TimeSpan.FromSeconds(10)), "the workers never parked");
            pool.Dispose();
            Assert.Equal(0, pool.LiveWorkers);
            Assert.Throws<ObjectDisposedException>(() => pool.For(10, new CountBody()));
        });
        await done.WaitAsync(TimeSpan.FromSeconds(60)); // a TimeoutException if the pool hung
    }

    [Fact]
    public void SmallWorkStaysOnOneThread()
    {
        Assert.Equal(1, WorkerPool.PiecesFor(WorkerPool.MinPieceWork - 1, 16));
        Assert.Equal(3, WorkerPool.PiecesFor(3 * WorkerPool.MinPieceWork, 16));
        Assert.Equal(16, WorkerPool.PiecesFor(long.MaxValue, 16));
        using var pool = new WorkerPool(3);
        var body = new ThreadsBody();
        pool.For(1000, body, work: 10);
        Assert.Equal([Environment.CurrentManagedThreadId], body.Threads);
    }

    private sealed class ThreadsBody : IParallelBody
    {
        public readonly List<int> Threads = new();
        public void Run(int start, int end) { lock (Threads) Threads.Add(Environment.CurrentManagedThreadId); }
    }
}
