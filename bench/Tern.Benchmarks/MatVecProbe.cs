using System.Diagnostics;
using Tern.Gguf;
using Tern.Kernels;

namespace Tern.Benchmarks;

/// <summary>
/// The one-token product alone on an L2-resident matrix (default 512 × 2560 I2_S = 320 KB): the kernel's compute
/// ceiling, timed by process CPU time so a busy shared machine's time slicing does not count. Prints GMAC per
/// CPU-second and cycles per 128 weights at the measured clock.
/// </summary>
public static class MatVecProbe
{
    public static void Run(string[] args)
    {
        var kernel = KernelRegistry.ByName(args.Length > 0 ? args[0] : KernelRegistry.Best.Name);
        int rows = args.Length > 1 ? int.Parse(args[1]) : 512, k = args.Length > 2 ? int.Parse(args[2]) : 2560;
        var type = args.Length > 3 ? Enum.Parse<GgmlType>(args[3], ignoreCase: true) : GgmlType.I2_S;
        using var shapes = new ModelShapes(type, 1, [("w", rows, k)]);
        var w = shapes.Matrices[0];
        var q = new sbyte[k];
        new Random(2).NextBytes((byte[])(Array)q);
        var dots = new int[rows];
        double ghz = Calibrate.GHz();
        long macs = (long)rows * k;
        int reps = (int)Math.Max(1, 2_000_000_000L / macs); // ~20–40 ms of work per timing
        for (int i = 0; i < reps; i++) kernel.Dots(w, 0, rows, q, 1, dots, rows); // warm-up, tier-up
        var rates = new List<double>();
        var proc = Process.GetCurrentProcess();
        for (int t = 0; t < 9; t++)
        {
            proc.Refresh();
            var c0 = proc.TotalProcessorTime;
            for (int i = 0; i < reps; i++) kernel.Dots(w, 0, rows, q, 1, dots, rows);
            proc.Refresh();
            rates.Add(reps * (double)macs / (proc.TotalProcessorTime - c0).TotalSeconds / 1e9);
        }
        rates.Sort();
        double med = rates[rates.Count / 2], best = rates[^1];
        Console.WriteLine($"matvec {kernel.Name} {type} {rows}×{k} ({w.ByteSize / 1024} KB, in cache): median {med:F1} GMAC/CPU-s, best {best:F1}"
            + $"  = {ghz * 128 / med:F2} cycles per 128 weights at {ghz:F2} GHz (best {ghz * 128 / best:F2})");
    }
}
