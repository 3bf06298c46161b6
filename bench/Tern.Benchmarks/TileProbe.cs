using System.Diagnostics;
using System.Runtime.InteropServices;
using Tern.Kernels.X86;

namespace Tern.Benchmarks;

/// <summary>The mat-mat register tile alone, on L1/L2-resident codes and activations: the compute ceiling.</summary>
public static unsafe class TileProbe
{
    public static void Run(int k)
    {
        Console.WriteLine($"AvxVnni {System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}");
        byte* w = (byte*)NativeMemory.AlignedAlloc((nuint)(6 * k), 64);
        sbyte* q = (sbyte*)NativeMemory.AlignedAlloc((nuint)(6 * k), 64);
        for (int i = 0; i < 6 * k; i++) { w[i] = (byte)(i % 3); q[i] = (sbyte)(i * 7); }
        int* f = stackalloc int[24];
        long iters = 2_000_000_000L / (16L * k);
        for (int rep = 0; rep < 5; rep++)
        {
            var proc = Process.GetCurrentProcess();
            var c0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (long i = 0; i < iters; i++) Avx512BWKernel.Tile4x4(w, q, k, f);
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avx512 Tile4x4 K={k}: {iters * 16.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second ({iters * 16.0 * k / sw.Elapsed.TotalSeconds / 1e9:F1} wall)");
        }
        for (int rep = 0; rep < 3; rep++)
        {
            var proc = Process.GetCurrentProcess();
            var c0 = proc.TotalProcessorTime;
            for (long i = 0; i < 2 * iters; i++) Avx2Kernel.Tile4x2(w, q, q + k, k, f);
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avx2 Tile4x2 K={k}: {2 * iters * 8.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second");
        }
        for (int rep = 0; rep < 3 && AvxVnniKernel.IsSupported; rep++)
        {
            var proc = Process.GetCurrentProcess();
            var c0 = proc.TotalProcessorTime;
            for (long i = 0; i < 2 * iters; i++) { AvxVnniKernel.Tile2x6(w, q, k, f); }
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avxvnni Tile2x6 K={k}: {2 * iters * 12.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second");
            c0 = proc.TotalProcessorTime;
            for (long i = 0; i < 2 * iters; i++) { AvxVnniKernel.Tile4x4(w, q, k, f); }
            proc.Refresh();
            cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avxvnni Tile4x4 K={k}: {2 * iters * 16.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second");
        }
    }
}
