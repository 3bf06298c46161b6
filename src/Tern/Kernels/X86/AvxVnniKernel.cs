using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Gguf;
using ISA = System.Runtime.Intrinsics.X86.AvxVnni;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// Ternary dots with AVX-VNNI <c>vpdpbusd</c> on 256-bit vectors: 32 unsigned codes × 32 int8 activations, summed four
/// at a time straight into int32 lanes (Intel since Alder Lake / Sapphire Rapids; Zen 4 has only the EVEX form, which
/// .NET 10 does not expose). Codes c = T + 1 and Σ T·q = Σ c·q − Σ q as in <see cref="Avx512BWKernel"/>, but there is
/// no int16 stage: an int32 lane gains at most 4 · 3 · 128 per instruction, so it is exact for any K below 2²⁰.
/// <para><b>Mat-vec (I2_S, TQ2_0):</b> a 32-byte load is a 128-value half block; its four planes are masked in place
/// (no shifts, see <see cref="MatVecRows{L}"/>), activations in natural order, two rows per iteration, rows prefetched
/// ahead.</para>
/// <para><b>Mat-mat:</b> unpacked code panels and register tiles of int32 accumulators, enough independent
/// <c>vpdpbusd</c> chains to hide its 5-cycle latency (4 × 2 tiles could not): 4 rows × 4 tokens where AVX-512 gives
/// the JIT 32 registers, else 2 rows × 6 tokens (12 accumulators, 2 code and 1 activation register: 15 of the 16 VEX
/// registers).</para>
/// </summary>
public sealed unsafe class AvxVnniKernel : ITernaryKernel
{
    public static readonly AvxVnniKernel Instance = new();

    public static bool IsSupported => ISA.IsSupported && Avx2.IsSupported;

    public string Name => "avxvnni";

    public bool Supports(TernaryMatrix w) => TernaryRows.Supported(w) && w.Cols < 1 << 20;

    private const int PanelBytes = 192 * 1024;
    /// <summary>
    /// With AVX-512 present the JIT encodes these instructions as EVEX and has 32 registers: 4 rows × 4 tokens tiles
    /// (16 accumulators; measured fastest on Emerald Rapids, 4 × 6 was slower). Otherwise (VEX only, 16 registers): 2 × 6.
    /// </summary>
    private static readonly bool WideTiles = Avx512F.IsSupported;

    public void Dots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, Span<int> dots, int dotsStride)
    {
        TernaryRows.CheckArguments(w, row0, row1, q, n, dots, dotsStride);
        if (!Supports(w)) throw new NotSupportedException($"{Name} cannot run {w}");
        if (row1 == row0 || n == 0) return;
        fixed (sbyte* pq = q)
        fixed (int* pd = dots)
        {
            if (n == 1 && w.Type == GgmlType.I2_S) MatVecRows<I2SLayout>(w.Data + row0 * I2SLayout.RowBytes(w.Cols), row1 - row0, w.Cols, pq, TernaryCodes.Sum(pq, w.Cols), pd);
            else if (n == 1 && w.Type == GgmlType.TQ2_0) MatVecRows<TQ2Layout>(w.Data + row0 * TQ2Layout.RowBytes(w.Cols), row1 - row0, w.Cols, pq, TernaryCodes.Sum(pq, w.Cols), pd);
            else if (n == 1 && w.Type == GgmlType.TQ1_0) TQ1MatVec256.Rows(w.Data + row0 * TernaryRows.RowBytes(w), row1 - row0, w.Cols, pq, TernaryCodes.Sum(pq, w.Cols), pd);
            else MatMat(w, row0, row1, pq, n, pd, dotsStride);
        }
    }

    // ---------------------------------------------------------------- mat-vec

    /// <summary>
    /// Mat-vec without shifts: plane s is masked in place, <c>x &amp; (3 &lt;&lt; shift)</c> = c · 2^shift, and multiplied
    /// into its own int32 accumulator, which therefore holds 2^shift · Σ c·q exactly; an arithmetic shift right by
    /// <c>shift</c> recovers Σ c·q. Codes up to 3 · 64 = 192 stay below 256, and a lane gains at most 4 · 192 · 128 per
    /// instruction: exact for K &lt; 2²⁰. 4 and + 4 multiply-adds per 128 values and row, two rows per iteration.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MatVecRows<L>(byte* w, int rows, int k, sbyte* q, int sumq, int* dots) where L : struct, ITwoBitLayout
    {
        long rb = L.RowBytes(k);
        int halves = k / 128;
        long tile = 2 * rb;
        long pf = (Avx512BWKernel.PrefetchBytes + tile - 1) / tile * tile;
        var m0 = V.Create((byte)(3 << L.Shift(0)));
        var m1 = V.Create((byte)(3 << L.Shift(1)));
        var m2 = V.Create((byte)(3 << L.Shift(2)));
        var m3 = V.Create((byte)(3 << L.Shift(3)));
        int r = 0;
        for (; r < rows; r += 2)
        {
            // An odd last row runs as a pair with itself; only its first copy is stored.
            byte* p = w + r * rb;
            long rb1 = r + 1 < rows ? rb : 0;
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            for (int h = 0; h < halves; h++)
            {
                byte* c = p + (h >> 1) * L.ChunkBytes + (h & 1) * 32;
                if ((h & 1) == 0)
                {
                    Sse.Prefetch0(c + pf);
                    Sse.Prefetch0(c + rb + pf);
                }
                sbyte* x = q + h * 128;
                var q0 = V.Load(x);
                var q1 = V.Load(x + 32);
                var q2 = V.Load(x + 64);
                var q3 = V.Load(x + 96);
                var v = V.Load(c);
                a0 = ISA.MultiplyWideningAndAdd(a0, v & m0, q0);
                a1 = ISA.MultiplyWideningAndAdd(a1, v & m1, q1);
                a2 = ISA.MultiplyWideningAndAdd(a2, v & m2, q2);
                a3 = ISA.MultiplyWideningAndAdd(a3, v & m3, q3);
                v = V.Load(c + rb1);
                b0 = ISA.MultiplyWideningAndAdd(b0, v & m0, q0);
                b1 = ISA.MultiplyWideningAndAdd(b1, v & m1, q1);
                b2 = ISA.MultiplyWideningAndAdd(b2, v & m2, q2);
                b3 = ISA.MultiplyWideningAndAdd(b3, v & m3, q3);
            }
            var sa = V.ShiftRightArithmetic(a0, L.Shift(0)) + V.ShiftRightArithmetic(a1, L.Shift(1)) + V.ShiftRightArithmetic(a2, L.Shift(2)) + V.ShiftRightArithmetic(a3, L.Shift(3));
            var sb = V.ShiftRightArithmetic(b0, L.Shift(0)) + V.ShiftRightArithmetic(b1, L.Shift(1)) + V.ShiftRightArithmetic(b2, L.Shift(2)) + V.ShiftRightArithmetic(b3, L.Shift(3));
            var sums = Reduce4(sa, sb, sa, sb);
            dots[r] = sums.ToScalar() - sumq;
            if (r + 1 < rows) dots[r + 1] = sums.GetElement(1) - sumq;
        }
    }

    /// <summary>[Σv0, Σv1, Σv2, Σv3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Reduce4(Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3)
    {
        var h01 = Ssse3.HorizontalAdd(v0.GetLower() + v0.GetUpper(), v1.GetLower() + v1.GetUpper());
        var h23 = Ssse3.HorizontalAdd(v2.GetLower() + v2.GetUpper(), v3.GetLower() + v3.GetUpper());
        return Ssse3.HorizontalAdd(h01, h23);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduce2(Vector256<int> v0, Vector256<int> v1, int* f)
    {
        var h = Ssse3.HorizontalAdd(v0.GetLower() + v0.GetUpper(), v1.GetLower() + v1.GetUpper()); // [v0 01, v0 23, v1 01, v1 23]
        h = Ssse3.HorizontalAdd(h, h);
        f[0] = h.ToScalar();
        f[1] = h.GetElement(1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduce4(Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3, int* f) => Reduce4(v0, v1, v2, v3).Store(f);

    // ---------------------------------------------------------------- mat-mat

    /// <summary>
    /// The rescaled output: whole blocks of 32 tokens by table lookup with the rescale fused into its store (no int
    /// dots in memory), everything else through the dots.
    /// </summary>
    public void ScaledDots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, float extra, Span<float> y, int yStride)
    {
        if (!Supports(w)) throw new NotSupportedException($"{Name} cannot run {w}");
        LookupMatMul512.ScaledDots(this, w, row0, row1, q, n, a, extra, y, yStride, &TileMatMul);
    }

    /// <summary>Whole blocks of 32 tokens by table lookup where it applies (<see cref="LookupMatMul512"/>), the rest by tiles.</summary>
    private static void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride)
    {
        int done = LookupMatMul512.Run(w, row0, row1, q, n, dots, stride, &TileMatMul);
        if (done < n) TileMatMul(w, row0, row1, q + (long)done * w.Cols, n - done, dots + (long)done * stride, stride);
    }

    /// <summary>
    /// Activations per token block, bytes: the block (n_b · k) stays in L2 (2 MB per core here) while every panel of the
    /// row range runs over it, and each panel's codes are unpacked once per block. Without blocking, n = 512 × k = 6912
    /// (3.5 MB) streamed from L3 once per panel; 512 KB blocks unpacked every panel 2–3 times per prompt. Measured with
    /// `Tern.Benchmarks -- throughput --tokens 512`, alternating: 1.5 MB 149–151 GMAC/s at 1 thread and 278–285 at 2,
    /// 512 KB 108–142 and 214–263 (1 MB in between).
    /// </summary>
    private const int TokenBlockBytes = 1536 * 1024;

    // AggressiveOptimization: a prompt runs each projection only a few dozen times, so tiered compilation would leave
    // this driver (and the inlined Store) at tier 0 for much of the first prompt.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TileMatMul(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride)
    {
        int k = w.Cols;
        int tileRows = WideTiles ? 4 : 2, tileTokens = WideTiles ? 4 : 6;
        int panelRows = Math.Clamp(PanelBytes / k / tileRows * tileRows, tileRows, 64);
        byte* codes = KernelScratch.Codes((long)panelRows * k);
        var sumq = (int*)KernelScratch.Activations((long)n * sizeof(int));
        for (int t = 0; t < n; t++) sumq[t] = TernaryCodes.Sum(q + (long)t * k, k);
        int* f = stackalloc int[16];
        // Token blocks of equal size, a multiple of the tile's tokens (the last one takes the remainder).
        int blocks = (int)Math.Max(1, ((long)n * k + TokenBlockBytes - 1) / TokenBlockBytes);
        int blockTokens = ((n + blocks - 1) / blocks + tileTokens - 1) / tileTokens * tileTokens;
        for (int b0 = 0; b0 < n; b0 += blockTokens)
        {
            int b1 = Math.Min(n, b0 + blockTokens);
            for (int p0 = row0; p0 < row1; p0 += panelRows)
            {
                int pr = Math.Min(panelRows, row1 - p0), padded = (pr + tileRows - 1) / tileRows * tileRows;
                for (int i = 0; i < pr; i++) TernaryCodes.UnpackRow(w, p0 + i, codes + (long)i * k);
                new Span<byte>(codes + (long)pr * k, (padded - pr) * k).Clear(); // code 0 rows: computed, never stored
                int* d = dots + (p0 - row0);
                int t0 = b0;
                for (; t0 + tileTokens <= b1; t0 += tileTokens)
                    for (int i = 0; i < padded; i += tileRows)
                    {
                        if (WideTiles) Tile4x4(codes + (long)i * k, q + (long)t0 * k, k, f);
                        else Tile2x6(codes + (long)i * k, q + (long)t0 * k, k, f);
                        Store(f, tileRows, tileTokens, d + i, stride, t0, Math.Min(tileRows, pr - i), sumq);
                    }
                for (; t0 < b1; t0++)
                    for (int i = 0; i < padded; i += tileRows)
                    {
                        if (WideTiles) Tile4x1(codes + (long)i * k, q + (long)t0 * k, k, f);
                        else Tile2x1(codes + (long)i * k, q + (long)t0 * k, k, f);
                        Store(f, tileRows, 1, d + i, stride, t0, Math.Min(tileRows, pr - i), sumq);
                    }
            }
        }
    }

    /// <summary>dots[(t0 + t)·stride + r] = f[tileRows·t + r] − Σq[t0 + t] for the tile's valid rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(int* f, int tileRows, int tokens, int* d, int stride, int t0, int rows, int* sumq)
    {
        for (int t = 0; t < tokens; t++)
        {
            int* dt = d + (long)(t0 + t) * stride;
            int sq = sumq[t0 + t];
            for (int r = 0; r < rows; r++) dt[r] = f[tileRows * t + r] - sq;
        }
    }

    /// <summary>Σ c·q for 2 rows of codes (stride k) × 6 tokens (stride k): <c>f[2·token + row]</c>; int32 accumulators, 12 independent chains.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile2x6(byte* w, sbyte* x, int k, int* f)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        byte* w1 = w + 1 * k;
        sbyte* x1 = x + 1 * k;
        sbyte* x2 = x + 2 * k;
        sbyte* x3 = x + 3 * k;
        sbyte* x4 = x + 4 * k;
        sbyte* x5 = x + 5 * k;
        for (int i = 0; i < k; i += 32)
        {
            var b0 = V.Load(w + i);
            var b1 = V.Load(w1 + i);
            var a = V.Load(x + i);
            c00 = ISA.MultiplyWideningAndAdd(c00, b0, a); c01 = ISA.MultiplyWideningAndAdd(c01, b1, a);
            a = V.Load(x1 + i);
            c10 = ISA.MultiplyWideningAndAdd(c10, b0, a); c11 = ISA.MultiplyWideningAndAdd(c11, b1, a);
            a = V.Load(x2 + i);
            c20 = ISA.MultiplyWideningAndAdd(c20, b0, a); c21 = ISA.MultiplyWideningAndAdd(c21, b1, a);
            a = V.Load(x3 + i);
            c30 = ISA.MultiplyWideningAndAdd(c30, b0, a); c31 = ISA.MultiplyWideningAndAdd(c31, b1, a);
            a = V.Load(x4 + i);
            c40 = ISA.MultiplyWideningAndAdd(c40, b0, a); c41 = ISA.MultiplyWideningAndAdd(c41, b1, a);
            a = V.Load(x5 + i);
            c50 = ISA.MultiplyWideningAndAdd(c50, b0, a); c51 = ISA.MultiplyWideningAndAdd(c51, b1, a);
        }
        Reduce2(c00, c01, f + 0);
        Reduce2(c10, c11, f + 2);
        Reduce2(c20, c21, f + 4);
        Reduce2(c30, c31, f + 6);
        Reduce2(c40, c41, f + 8);
        Reduce2(c50, c51, f + 10);
    }

    /// <summary>Σ c·q for 2 rows of codes (stride k) × 1 tokens (stride k): <c>f[2·token + row]</c>; int32 accumulators, 2 independent chains.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile2x1(byte* w, sbyte* x, int k, int* f)
    {
        Vector256<int> c00 = default, c01 = default;
        byte* w1 = w + 1 * k;
        for (int i = 0; i < k; i += 32)
        {
            var b0 = V.Load(w + i);
            var b1 = V.Load(w1 + i);
            var a = V.Load(x + i);
            c00 = ISA.MultiplyWideningAndAdd(c00, b0, a); c01 = ISA.MultiplyWideningAndAdd(c01, b1, a);
        }
        Reduce2(c00, c01, f + 0);
    }

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 4 tokens (stride k): <c>f[4·token + row]</c>; int32 accumulators, 16 independent chains.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x4(byte* w, sbyte* x, int k, int* f)
    {
        Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default, c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        byte* w1 = w + 1 * k;
        byte* w2 = w + 2 * k;
        byte* w3 = w + 3 * k;
        sbyte* x1 = x + 1 * k;
        sbyte* x2 = x + 2 * k;
        sbyte* x3 = x + 3 * k;
        for (int i = 0; i < k; i += 32)
        {
            var b0 = V.Load(w + i);
            var b1 = V.Load(w1 + i);
            var b2 = V.Load(w2 + i);
            var b3 = V.Load(w3 + i);
            var a = V.Load(x + i);
            c00 = ISA.MultiplyWideningAndAdd(c00, b0, a); c01 = ISA.MultiplyWideningAndAdd(c01, b1, a); c02 = ISA.MultiplyWideningAndAdd(c02, b2, a); c03 = ISA.MultiplyWideningAndAdd(c03, b3, a);
            a = V.Load(x1 + i);
            c10 = ISA.MultiplyWideningAndAdd(c10, b0, a); c11 = ISA.MultiplyWideningAndAdd(c11, b1, a); c12 = ISA.MultiplyWideningAndAdd(c12, b2, a); c13 = ISA.MultiplyWideningAndAdd(c13, b3, a);
            a = V.Load(x2 + i);
            c20 = ISA.MultiplyWideningAndAdd(c20, b0, a); c21 = ISA.MultiplyWideningAndAdd(c21, b1, a); c22 = ISA.MultiplyWideningAndAdd(c22, b2, a); c23 = ISA.MultiplyWideningAndAdd(c23, b3, a);
            a = V.Load(x3 + i);
            c30 = ISA.MultiplyWideningAndAdd(c30, b0, a); c31 = ISA.MultiplyWideningAndAdd(c31, b1, a); c32 = ISA.MultiplyWideningAndAdd(c32, b2, a); c33 = ISA.MultiplyWideningAndAdd(c33, b3, a);
        }
        Reduce4(c00, c01, c02, c03, f + 0);
        Reduce4(c10, c11, c12, c13, f + 4);
        Reduce4(c20, c21, c22, c23, f + 8);
        Reduce4(c30, c31, c32, c33, f + 12);
    }

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 1 tokens (stride k): <c>f[4·token + row]</c>; int32 accumulators, 4 independent chains.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x1(byte* w, sbyte* x, int k, int* f)
    {
        Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default;
        byte* w1 = w + 1 * k;
        byte* w2 = w + 2 * k;
        byte* w3 = w + 3 * k;
        for (int i = 0; i < k; i += 32)
        {
            var b0 = V.Load(w + i);
            var b1 = V.Load(w1 + i);
            var b2 = V.Load(w2 + i);
            var b3 = V.Load(w3 + i);
            var a = V.Load(x + i);
            c00 = ISA.MultiplyWideningAndAdd(c00, b0, a); c01 = ISA.MultiplyWideningAndAdd(c01, b1, a); c02 = ISA.MultiplyWideningAndAdd(c02, b2, a); c03 = ISA.MultiplyWideningAndAdd(c03, b3, a);
        }
        Reduce4(c00, c01, c02, c03, f + 0);
    }
}
