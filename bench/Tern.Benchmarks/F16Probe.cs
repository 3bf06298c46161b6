using System.Diagnostics;
using System.Runtime.InteropServices;
using Tern.Kernels;

namespace Tern.Benchmarks;

/// <summary>The F16 output-layer dot (one and four rows at a time) on a row block that fits in L2: its compute ceiling in GB/s.</summary>
public static unsafe class F16Probe
{
    public static void Run(int rows, int k)
    {
        ushort* w = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)rows * k * 2), 64);
        var rng = new Random(1);
        for (long i = 0; i < (long)rows * k; i++) w[i] = (ushort)(rng.Next(0x1C00, 0x3C00) | (rng.Next(2) << 15)); // normal values of typical magnitude (F16 subnormals become float denormals: slow assists)
        var x = Enumerable.Range(0, k).Select(_ => (float)rng.NextDouble()).ToArray();
        var four = new float[4];
        var xs = new float[k];
        F16Dot.ScaleForFourRows(x, xs);
        long bytes = (long)rows * k * 2;
        int reps = (int)Math.Max(1, 4_000_000_000L / bytes);
        for (int rep = 0; rep < 1; rep++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
                for (int r = 0; r < rows; r++) F16Dot.DotFinite(new ReadOnlySpan<ushort>(w + (long)r * k, k), x);
            double one = reps * (double)bytes / sw.Elapsed.TotalSeconds / 1e9;
            sw.Restart();
            for (int i = 0; i < reps; i++)
                for (int r = 0; r + 4 <= rows; r += 4) F16Dot.DotFinite4(w + (long)r * k, k, xs, four);
            double four4 = reps * (double)bytes / sw.Elapsed.TotalSeconds / 1e9;
            Console.WriteLine($"F16 rows={rows} K={k} ({bytes / 1024} KB): one row {one:F1} GB/s, four rows {four4:F1} GB/s");
            foreach (int ahead in new[] { 0, 512, 1024, 2048, 4096, 8192, 16384 })
            {
                F16Dot.PrefetchHalves = ahead;
                sw.Restart();
                for (int i = 0; i < reps; i++)
                    for (int r = 0; r + 4 <= rows; r += 4) F16Dot.DotFinite4(w + (long)r * k, k, xs, four);
                Console.WriteLine($"   four rows, in-loop prefetch {ahead * 2} bytes ahead per row: {reps * (double)bytes / sw.Elapsed.TotalSeconds / 1e9:F1} GB/s");
            }
            F16Dot.PrefetchHalves = 8192;
        }
        NativeMemory.AlignedFree(w);
    }
}
