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
        var xs4 = new float[8 * k];
        for (int t = 0; t < 8; t++) F16Dot.ScaleForFourRows(x, xs4.AsSpan(t * k, k));
        var sixteen = new float[32];
        // GB/s of weights per token, by wall clock and per CPU-second of the process (the VM is often shared).
        string Rate(int tokens, Action pass)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) pass();
            double wall = sw.Elapsed.TotalSeconds, used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            double gb = (double)tokens * reps * bytes / 1e9;
            return $"{gb / wall:F1} GB/s ({gb / used:F1} per CPU-second)";
        }
        string one = Rate(1, () => { for (int r = 0; r < rows; r++) F16Dot.DotFinite(new ReadOnlySpan<ushort>(w + (long)r * k, k), x); });
        string four4 = Rate(1, () => { for (int r = 0; r + 4 <= rows; r += 4) F16Dot.DotFinite4(w + (long)r * k, k, xs, four); });
        bool batches = F16Dot.FourTokensSupported(k);
        string byFour = !batches ? "n/a (needs AVX-512)" : Rate(4, () => { fixed (float* px = xs4) for (int r = 0; r + 4 <= rows; r += 4) F16Dot.DotFinite4x4(w + (long)r * k, k, px, k, k, sixteen); });
        string byEight = !batches ? "n/a" : Rate(8, () => { fixed (float* px = xs4) for (int r = 0; r + 4 <= rows; r += 4) F16Dot.DotFinite4x8(w + (long)r * k, k, px, k, k, sixteen); });
        Console.WriteLine($"F16 rows={rows} K={k} ({bytes / 1024} KB), GB/s of weights per token: one row {one}; four rows {four4}; four rows x four tokens {byFour}; x eight tokens {byEight}");
        NativeMemory.AlignedFree(w);
    }
}
