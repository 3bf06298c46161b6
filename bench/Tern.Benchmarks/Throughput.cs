using System.Diagnostics;
using Tern.Gguf;
using Tern.Kernels;
using Tern.Threading;

namespace Tern.Benchmarks;

/// <summary>
/// Whole-model-shaped throughput: every projection of several 2B-4T layers, rows split across threads in chunks of
/// 16 rows as TernaryLinear does. Mat-vec cycles through ≥ 150 MB of weights (more than L3) so it measures DRAM
/// streaming; mat-mat (n tokens) measures compute. Prints the median of repeated passes.
/// </summary>
public static class Throughput
{
    public static void Run(string[] args)
    {
        string kernelName = Arg(args, "--kernel") ?? KernelRegistry.Best.Name;
        var type = Enum.Parse<GgmlType>(Arg(args, "--type") ?? "I2_S", ignoreCase: true);
        var threads = (Arg(args, "--threads") ?? "1,2").Split(',').Select(int.Parse).ToArray();
        var tokens = (Arg(args, "--tokens") ?? "1,64,512").Split(',').Select(int.Parse).ToArray();
        int reps = int.Parse(Arg(args, "--reps") ?? "7");
        // Mat-vec weights: 24 layers = 418 MB at 2 bits, more than any L3 here (Zen 4: 32 MB; Emerald Rapids: 260 MB).
        int matVecLayers = int.Parse(Arg(args, "--layers") ?? "24");
        var kernel = KernelRegistry.ByName(kernelName);
        Console.WriteLine($"kernel {kernel.Name}, type {type}, {Environment.ProcessorCount} logical processors");
        foreach (int n in tokens)
        {
            int layers = n == 1 ? matVecLayers : 1; // mat-mat: one layer (compute-bound)
            using var model = new ModelShapes(type, layers);
            var q = new sbyte[(long)n * 6912];
            new Random(2).NextBytes((byte[])(Array)q);
            foreach (int t in threads)
            {
                using var pool = new WorkerPool(t);
                var body = new Body { Kernel = kernel, Q = q, N = n };
                void Pass()
                {
                    foreach (var m in model.Matrices)
                    {
                        body.W = m;
                        if (body.Dots.Length < n * m.Rows) body.Dots = new int[n * m.Rows];
                        pool.For(m.Rows, body, granule: 16);
                    }
                }
                Pass(); // warm-up (and tier-up)
                var times = new List<double>();
                var cpus = new List<double>();
                var proc = Process.GetCurrentProcess();
                for (int r = 0; r < reps; r++)
                {
                    proc.Refresh();
                    var cpu0 = proc.TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    Pass();
                    times.Add(sw.Elapsed.TotalSeconds);
                    proc.Refresh();
                    cpus.Add((proc.TotalProcessorTime - cpu0).TotalSeconds / t);
                }
                cpus.Sort();
                times.Sort();
                double med = times[times.Count / 2], best = times[0];
                double macs = (double)model.TotalMacs * n;
                Console.WriteLine($"n={n,4} threads={t}: median {med * 1e3,8:F2} ms/pass  {macs / med / 1e9,7:F1} GMAC/s  {model.TotalBytes / med / 1e9,6:F1} GB/s weights   (best {macs / best / 1e9:F1} GMAC/s, {model.TotalBytes / best / 1e9:F1} GB/s)"
                    + (n > 1 ? $"  ≈ {n / (med * 30):F0} tok/s for 30 layers' ternary part" : "")
                    + $"  [per CPU-second of each thread: {macs / cpus[cpus.Count / 2] / 1e9:F1} GMAC/s]");
            }
        }
    }

    private sealed class Body : IParallelBody
    {
        public ITernaryKernel Kernel = null!;
        public TernaryMatrix W = null!;
        public sbyte[] Q = [];
        public int N;
        public int[] Dots = [];

        public void Run(int start, int end)
        {
            int rows = end - start;
            // Each thread writes its own [n][rows] block, as TernaryLinear does.
            var dots = t_dots is { } d && d.Length >= N * rows ? d : (t_dots = new int[N * rows]);
            Kernel.Dots(W, start, end, Q.AsSpan(0, N * W.Cols), N, dots, rows);
        }

        [ThreadStatic] private static int[]? t_dots;
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
