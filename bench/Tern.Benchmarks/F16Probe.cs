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
            foreach (int ahead in new[] { 4, 8, 16, 32 })
                foreach (int hint in new[] { 0, 1, 2 })
                {
                    sw.Restart();
                    for (int i = 0; i < reps; i++)
                        for (int r = 0; r + 4 <= rows; r += 4)
                        {
                            if (r + ahead + 4 <= rows)
                            {
                                byte* p = (byte*)(w + (long)(r + ahead) * k);
                                for (int b = 0; b < 4 * k * 2; b += 64)
                                    if (hint == 0) System.Runtime.Intrinsics.X86.Sse.Prefetch0(p + b);
                                    else if (hint == 1) System.Runtime.Intrinsics.X86.Sse.Prefetch1(p + b);
                                    else System.Runtime.Intrinsics.X86.Sse.PrefetchNonTemporal(p + b);
                            }
                            F16Dot.DotFinite4(w + (long)r * k, k, xs, four);
                        }
                    Console.WriteLine($"   four rows, prefetch {ahead} rows ahead with {(hint == 0 ? "t0" : hint == 1 ? "t1" : "nta")}: {reps * (double)bytes / sw.Elapsed.TotalSeconds / 1e9:F1} GB/s");
                }
        }
        NativeMemory.AlignedFree(w);
    }
}
