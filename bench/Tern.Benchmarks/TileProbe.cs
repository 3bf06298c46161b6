using System.Diagnostics;
using System.Runtime.InteropServices;
using Tern.Kernels.X86;

namespace Tern.Benchmarks;

/// <summary>The mat-mat register tile alone, on L1/L2-resident codes and activations: the compute ceiling.</summary>
public static unsafe class TileProbe
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static void VnniTile4x2(byte* w, sbyte* x0, sbyte* x1, int k, int* f)
    {
        System.Runtime.Intrinsics.Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        for (int i = 0; i < k; i += 32)
        {
            var b0 = System.Runtime.Intrinsics.Vector256.Load(w + i);
            var b1 = System.Runtime.Intrinsics.Vector256.Load(w1 + i);
            var b2 = System.Runtime.Intrinsics.Vector256.Load(w2 + i);
            var b3 = System.Runtime.Intrinsics.Vector256.Load(w3 + i);
            var a = System.Runtime.Intrinsics.Vector256.Load(x0 + i);
            c00 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c00, b0, a);
            c01 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c01, b1, a);
            c02 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c02, b2, a);
            c03 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c03, b3, a);
            a = System.Runtime.Intrinsics.Vector256.Load(x1 + i);
            c10 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c10, b0, a);
            c11 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c11, b1, a);
            c12 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c12, b2, a);
            c13 = System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(c13, b3, a);
        }
        f[0] = System.Runtime.Intrinsics.Vector256.Sum(c00 + c01 + c02 + c03 + c10 + c11 + c12 + c13);
    }

    public static void Run(int k)
    {
        Console.WriteLine($"AvxVnni {System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}");
        byte* w = (byte*)NativeMemory.AlignedAlloc((nuint)(6 * k), 64);
        sbyte* q = (sbyte*)NativeMemory.AlignedAlloc((nuint)(6 * k), 64);
        for (int i = 0; i < 6 * k; i++) { w[i] = (byte)(i % 3); q[i] = (sbyte)(i * 7); }
        int* f = stackalloc int[16];
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
            for (long i = 0; i < 2 * iters; i++) { AvxVnniKernel.Tile3x4(w, q, k, f); }
            proc.Refresh();
            cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avxvnni Tile3x4 K={k}: {2 * iters * 12.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second");
        }
        for (int rep = 0; rep < 3 && System.Runtime.Intrinsics.X86.AvxVnni.IsSupported; rep++)
        {
            var proc = Process.GetCurrentProcess();
            var c0 = proc.TotalProcessorTime;
            for (long i = 0; i < 2 * iters; i++) VnniTile4x2(w, q, q + k, k, f);
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - c0).TotalSeconds;
            Console.WriteLine($"avxvnni Tile4x2 K={k}: {2 * iters * 8.0 * k / cpu / 1e9:F1} GMAC/s per CPU-second");
        }
    }
}
