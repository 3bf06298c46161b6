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
    public void EveryIndexRunsExactlyOnce_UnderRapidCallsOfVaryingSizes(int threads)
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
        Assert.True(done.Wait(TimeSpan.FromSeconds(120)), "the pool hung");
        done.GetAwaiter().GetResult();
    }

    [Fact]
    public void AFreshPoolRunsItsFirstCall() // threads may start after the first call is published
    {
        for (int i = 0; i < 200; i++)
        {
            using var pool = new WorkerPool(3);
            var body = new CountBody();
            var t = Task.Run(() => pool.For(3, body));
            Assert.True(t.Wait(TimeSpan.FromSeconds(30)), "the pool hung");
            Assert.Equal([1, 1, 1], body.Hits[..3]);
        }
    }

    [Fact]
    public void ExceptionsReachTheCaller()
    {
        using var pool = new WorkerPool(2);
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
}
