using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tern.Threading;

namespace Tern.Benchmarks;

/// <summary>The read-bandwidth roof in the same sitting: a Vector256 sum over 1 GiB, 1 and 2 threads, median of 5.</summary>
public static unsafe class Bandwidth
{
    public static void Run()
    {
        const long size = 1L << 30;
        byte* p = (byte*)NativeMemory.AlignedAlloc((nuint)size, 64);
        new Span<byte>(p, (int)size).Fill(1);
        foreach (int t in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(t);
            var body = new Body { P = p };
            var times = new List<double>();
            for (int r = 0; r < 6; r++)
            {
                var sw = Stopwatch.StartNew();
                pool.For((int)(size >> 20), body); // 1 MiB units
                times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            Console.WriteLine($"read bandwidth, {t} thread(s): median {size / times[3] / 1e9:F1} GB/s (best {size / times[0] / 1e9:F1})");
        }
        NativeMemory.AlignedFree(p);
    }

    private sealed class Body : IParallelBody
    {
        public byte* P;
        public long Sink;
        public void Run(int start, int end) => Sink += Sum(P + ((long)start << 20), (long)(end - start) << 20);

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static long Sum(byte* p, long bytes)
        {
            Vector256<long> a = default, b = default, c = default, d = default;
            for (long i = 0; i < bytes; i += 128)
            {
                a += Vector256.Load((long*)(p + i)); b += Vector256.Load((long*)(p + i + 32));
                c += Vector256.Load((long*)(p + i + 64)); d += Vector256.Load((long*)(p + i + 96));
            }
            return Vector256.Sum(a + b + c + d);
        }
    }
}
