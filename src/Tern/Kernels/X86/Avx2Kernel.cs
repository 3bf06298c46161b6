using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Gguf;
using ISA = System.Runtime.Intrinsics.X86.Avx2;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// Ternary dots with AVX2 <c>vpmaddubsw</c> (32 unsigned codes × 32 int8 activations → 16 int16 pair sums); the
/// same arithmetic as <see cref="Avx512BWKernel"/> (codes c = T + 1, Σ T·q = Σ c·q − Σ q, int16 lanes widened after at
/// most <see cref="Avx512BWKernel.MaxAddsPerLane"/> multiply-adds), on 256-bit vectors.
/// <para><b>Mat-vec (I2_S, TQ2_0):</b> one 32-byte load is a 128-value half block whose four planes (shift + and) are
/// runs of 32 consecutive values, so the activations are used in their natural order. Four rows per iteration share
/// the activation loads; rows are prefetched ahead.</para>
/// <para><b>Mat-mat and TQ1_0:</b> unpacked code panels and 4 rows × 2 tokens register tiles (AVX2 has 16 vector
/// registers: 8 accumulators, 4 codes, 1 activation).</para>
/// </summary>
public sealed unsafe class Avx2Kernel : ITernaryKernel
{
    public static readonly Avx2Kernel Instance = new();

    public static bool IsSupported => ISA.IsSupported;

    public string Name => "avx2";

    public bool Supports(TernaryMatrix w) => TernaryRows.Supported(w);

    private const int MaxAddsPerLane = Avx512BWKernel.MaxAddsPerLane;
    private const int PanelBytes = 192 * 1024;

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

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MatVecRows<L>(byte* w, int rows, int k, sbyte* q, int sumq, int* dots) where L : struct, ITwoBitLayout
    {
        const int halvesPerSegment = MaxAddsPerLane / 4 & ~1; // each half adds 4 multiply-add results to a lane; whole chunks
        long rb = L.RowBytes(k);
        int halves = k / 128;
        var ones = V.Create((short)1);
        long tile = 4 * rb;
        long pf = (Avx512BWKernel.PrefetchBytes + tile - 1) / tile * tile;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            byte* p = w + r * rb;
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int h0 = 0; h0 < halves; h0 += halvesPerSegment)
            {
                int h1 = Math.Min(h0 + halvesPerSegment, halves);
                Vector256<short> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int h = h0; h < h1; h++)
                {
                    byte* c = p + (h >> 1) * L.ChunkBytes + (h & 1) * 32;
                    if ((h & 1) == 0)
                    {
                        Sse.Prefetch0(c + pf);
                        Sse.Prefetch0(c + rb + pf);
                        Sse.Prefetch0(c + 2 * rb + pf);
                        Sse.Prefetch0(c + 3 * rb + pf);
                    }
                    sbyte* x = q + h * 128;
                    a0 += Half<L>(V.Load(c), x);
                    a1 += Half<L>(V.Load(c + rb), x);
                    a2 += Half<L>(V.Load(c + 2 * rb), x);
                    a3 += Half<L>(V.Load(c + 3 * rb), x);
                }
                s0 += ISA.MultiplyAddAdjacent(a0, ones);
                s1 += ISA.MultiplyAddAdjacent(a1, ones);
                s2 += ISA.MultiplyAddAdjacent(a2, ones);
                s3 += ISA.MultiplyAddAdjacent(a3, ones);
            }
            (Reduce4(s0, s1, s2, s3) - Vector128.Create(sumq)).Store(dots + r);
        }
        for (; r < rows; r++)
        {
            byte* p = w + r * rb;
            Vector256<int> s0 = default;
            for (int h0 = 0; h0 < halves; h0 += halvesPerSegment)
            {
                int h1 = Math.Min(h0 + halvesPerSegment, halves);
                Vector256<short> a0 = default;
                for (int h = h0; h < h1; h++)
                    a0 += Half<L>(V.Load(p + (h >> 1) * L.ChunkBytes + (h & 1) * 32), q + h * 128);
                s0 += ISA.MultiplyAddAdjacent(a0, ones);
            }
            dots[r] = V.Sum(s0) - sumq;
        }
    }

    /// <summary>Σ c·q over one 128-value half block (32 bytes of codes, activations x[0, 128)), |lane| ≤ 4 · 768.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Half<L>(Vector256<byte> x, sbyte* q) where L : struct, ITwoBitLayout
    {
        var m3 = V.Create((byte)3);
        var p0 = ISA.MultiplyAddAdjacent(Plane(x, L.Shift(0), m3), V.Load(q));
        var p1 = ISA.MultiplyAddAdjacent(Plane(x, L.Shift(1), m3), V.Load(q + 32));
        var p2 = ISA.MultiplyAddAdjacent(Plane(x, L.Shift(2), m3), V.Load(q + 64));
        var p3 = ISA.MultiplyAddAdjacent(Plane(x, L.Shift(3), m3), V.Load(q + 96));
        return (p0 + p1) + (p2 + p3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Plane(Vector256<byte> x, byte shift, Vector256<byte> m3) =>
        (shift == 0 ? x : V.ShiftRightLogical(x.AsUInt16(), shift).AsByte()) & m3;

    /// <summary>[Σv0, Σv1, Σv2, Σv3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Reduce4(Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3)
    {
        var h01 = Ssse3.HorizontalAdd(v0.GetLower() + v0.GetUpper(), v1.GetLower() + v1.GetUpper());
        var h23 = Ssse3.HorizontalAdd(v2.GetLower() + v2.GetUpper(), v3.GetLower() + v3.GetUpper());
        return Ssse3.HorizontalAdd(h01, h23);
    }

    // ---------------------------------------------------------------- mat-mat

    private static void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride)
    {
        int k = w.Cols;
        int panelRows = Math.Clamp(PanelBytes / k & ~3, 4, 64);
        byte* codes = KernelScratch.Codes((long)panelRows * k);
        var sumq = (int*)KernelScratch.Activations((long)n * sizeof(int));
        for (int t = 0; t < n; t++) sumq[t] = TernaryCodes.Sum(q + (long)t * k, k);
        int* f = stackalloc int[8];
        for (int p0 = row0; p0 < row1; p0 += panelRows)
        {
            int pr = Math.Min(panelRows, row1 - p0), padded = (pr + 3) & ~3;
            for (int i = 0; i < pr; i++) TernaryCodes.UnpackRow(w, p0 + i, codes + (long)i * k);
            new Span<byte>(codes + (long)pr * k, (padded - pr) * k).Clear(); // code 0 rows: computed, never stored
            int* d = dots + (p0 - row0);
            for (int t0 = 0; t0 < n; t0 += 2)
            {
                // An odd last token runs as a pair with itself; only its first copy is stored.
                int tn = Math.Min(2, n - t0);
                sbyte* x0 = q + (long)t0 * k, x1 = tn == 2 ? x0 + k : x0;
                for (int i = 0; i < padded; i += 4)
                {
                    Tile4x2(codes + (long)i * k, x0, x1, k, f);
                    int rows = Math.Min(4, pr - i);
                    for (int t = 0; t < tn; t++)
                    {
                        int* dt = d + (long)(t0 + t) * stride + i;
                        int sq = sumq[t0 + t];
                        for (int r = 0; r < rows; r++) dt[r] = f[4 * t + r] - sq;
                    }
                }
            }
        }
    }

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 2 tokens: <c>f[4·token + row]</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x2(byte* w, sbyte* x0, sbyte* x1, int k, int* f)
    {
        var ones = V.Create((short)1);
        var s = stackalloc Vector256<int>[8];
        for (int j = 0; j < 8; j++) s[j] = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        for (int v0 = 0; v0 < k; v0 += 32 * MaxAddsPerLane)
        {
            int v1 = Math.Min(v0 + 32 * MaxAddsPerLane, k);
            Vector256<short> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            for (int i = v0; i < v1; i += 32)
            {
                var b0 = V.Load(w + i);
                var b1 = V.Load(w1 + i);
                var b2 = V.Load(w2 + i);
                var b3 = V.Load(w3 + i);
                var a = V.Load(x0 + i);
                c00 += ISA.MultiplyAddAdjacent(b0, a); c01 += ISA.MultiplyAddAdjacent(b1, a);
                c02 += ISA.MultiplyAddAdjacent(b2, a); c03 += ISA.MultiplyAddAdjacent(b3, a);
                a = V.Load(x1 + i);
                c10 += ISA.MultiplyAddAdjacent(b0, a); c11 += ISA.MultiplyAddAdjacent(b1, a);
                c12 += ISA.MultiplyAddAdjacent(b2, a); c13 += ISA.MultiplyAddAdjacent(b3, a);
            }
            s[0] += ISA.MultiplyAddAdjacent(c00, ones); s[1] += ISA.MultiplyAddAdjacent(c01, ones);
            s[2] += ISA.MultiplyAddAdjacent(c02, ones); s[3] += ISA.MultiplyAddAdjacent(c03, ones);
            s[4] += ISA.MultiplyAddAdjacent(c10, ones); s[5] += ISA.MultiplyAddAdjacent(c11, ones);
            s[6] += ISA.MultiplyAddAdjacent(c12, ones); s[7] += ISA.MultiplyAddAdjacent(c13, ones);
        }
        Reduce4(s[0], s[1], s[2], s[3]).Store(f);
        Reduce4(s[4], s[5], s[6], s[7]).Store(f + 4);
    }
}
