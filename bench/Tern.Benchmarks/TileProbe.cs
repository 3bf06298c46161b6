using System.Diagnostics;
using System.Runtime.InteropServices;
using Tern.Kernels.X86;

namespace Tern.Benchmarks;

/// <summary>The mat-mat register tile alone, on L1/L2-resident codes and activations: the compute ceiling.</summary>
public static unsafe class TileProbe
{
    /// <summary>
    /// 12 independent vpdpbusd chains on registers only: the instruction's own throughput. Twelve, not sixteen: with the
    /// two operands that is 14 live vectors, within the 16 registers of the VEX encoding (16 chains spilled and read
    /// ~3.9 G instructions/s where 12 reach ~5.4 on this project's VM).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int VnniPeak(long iters)
    {
        var b = System.Runtime.Intrinsics.Vector256.Create((byte)1);
        var a = System.Runtime.Intrinsics.Vector256.Create((sbyte)1);
        System.Runtime.Intrinsics.Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        System.Runtime.Intrinsics.Vector256<int> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iters; i++)
        {
            c0 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c0, b, a); c1 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c1, b, a);
            c2 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c2, b, a); c3 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c3, b, a);
            c4 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c4, b, a); c5 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c5, b, a);
            c6 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c6, b, a); c7 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c7, b, a);
            c8 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c8, b, a); c9 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c9, b, a);
            c10 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c10, b, a); c11 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c11, b, a);
        }
        var s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return System.Runtime.Intrinsics.Vector256.GetElement(s, 0);
    }

    public static void Run(int k)
    {
        if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
            for (int rep = 0; rep < 3; rep++)
            {
                var sw = Stopwatch.StartNew();
                const long loops = 200_000_000;
                VnniPeak(loops);
                double macs = loops * 12.0 * 32;
                Console.WriteLine($"vpdpbusd ymm, registers only: {macs / sw.Elapsed.TotalSeconds / 1e9:F1} GMAC/s = {loops * 12.0 / sw.Elapsed.TotalSeconds / 1e9:F2} G instructions/s (clock ≈ {Calibrate.GHz():F2} GHz)");
            }
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
            for (long i = 0; i < iters; i++) Avx512BWTiles.Tile4x4(w, q, k, f);
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avx512 Tile4x4 K={k}: {iters * 16.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second ({iters * 16.0 * k / sw.Elapsed.TotalSeconds / 1e9:F1} wall)");
        }
        for (int rep = 0; rep < 3; rep++)
        {
            var proc = Process.GetCurrentProcess();
            var c0 = proc.TotalProcessorTime;
            for (long i = 0; i < 2 * iters; i++) Avx2Tiles.Tile4x2(w, q, q + k, k, f);
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avx2 Tile4x2 K={k}: {2 * iters * 8.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second");
        }
        for (int rep = 0; rep < 3 && AvxVnniKernel.IsSupported; rep++)
        {
            var proc = Process.GetCurrentProcess();
            var c0 = proc.TotalProcessorTime;
            for (long i = 0; i < 2 * iters; i++) { AvxVnniTiles.Tile2x6(w, q, k, f); }
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avxvnni Tile2x6 K={k}: {2 * iters * 12.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second");
            c0 = proc.TotalProcessorTime;
            for (long i = 0; i < 2 * iters; i++) { AvxVnniTiles.Tile4x4(w, q, k, f); }
            proc.Refresh();
            cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avxvnni Tile4x4 K={k}: {2 * iters * 16.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second");
        }
    }
}
