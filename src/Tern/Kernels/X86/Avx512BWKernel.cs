using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Gguf;
using ISA = System.Runtime.Intrinsics.X86.Avx512BW;
using V = System.Runtime.Intrinsics.Vector512;

namespace Tern.Kernels.X86;

/// <summary>
/// Ternary dots with AVX-512BW <c>vpmaddubsw</c> (64 unsigned codes × 64 int8 activations → 32 int16 pair sums).
/// <para><b>The unsigned-code trick.</b> Weights are stored as codes c = T + 1 ∈ {0, 1, 2}, so Σ T·q = Σ c·q − Σ q:
/// the kernels multiply codes (unsigned operand) by activations (signed operand) and subtract Σ q, computed once per
/// token.</para>
/// <para><b>Exactness.</b> One int16 lane of a <c>vpmaddubsw</c> result is c₁q₁ + c₂q₂ with c ≤ 3 (the unused code 3
/// included) and q ∈ [−128, 127], so |lane| ≤ 768, and 42 such results add up to at most 32 256 &lt; 32 767: int16
/// accumulators take at most 42 results per lane (<see cref="MaxAddsPerLane"/>) before they are widened to int32 with
/// <c>vpmaddwd</c> by ones. The sums are the true integer sums for every input.</para>
/// <para><b>Mat-vec (one token, I2_S and TQ2_0):</b> weights are read as stored. One 64-byte load covers 256 values
/// (two 128-value halves); shift + and give four vectors of codes, plane s holding values 32s + m of the first half
/// in lanes 0–31 and of the second half in lanes 32–63. The activations are permuted once per call into that order,
/// so the inner loop is load, shift, and, multiply-add. Four rows share each activation load, and each row is
/// software-prefetched a few KB ahead: rows are only 640–1728 bytes, too short for the hardware prefetcher.</para>
/// <para><b>Mat-mat (several tokens, and every TQ1_0 product):</b> a panel of rows is unpacked once to one code byte
/// per weight (<see cref="TernaryCodes"/>), then 4 rows × 4 tokens register tiles run over it: per 64 values, 4 code
/// loads + 4 activation loads feed 16 multiply-adds into 16 int16 accumulators.</para>
/// </summary>
public sealed unsafe class Avx512BWKernel : ITernaryKernel
{
    public static readonly Avx512BWKernel Instance = new();

    public static bool IsSupported => ISA.IsSupported && Avx2.IsSupported;

    public string Name => "avx512bw";

    public bool Supports(TernaryMatrix w) => TernaryRows.Supported(w);

    /// <summary>Multiply-add results one int16 lane may accumulate: 42 · 768 ≤ 32 767.</summary>
    internal const int MaxAddsPerLane = 42;
    /// <summary>How far ahead (bytes, rounded up to whole 4-row tiles) the mat-vec prefetches each row.</summary>
    internal static int PrefetchBytes = 8192;
    /// <summary>Target size of an unpacked row panel (1 byte per weight), sized for L2.</summary>
    private const int PanelBytes = 192 * 1024;

    public void Dots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, Span<int> dots, int dotsStride)
    {
        TernaryRows.CheckArguments(w, row0, row1, q, n, dots, dotsStride);
        if (!Supports(w)) throw new NotSupportedException($"{Name} cannot run {w}");
        if (row1 == row0 || n == 0) return;
        fixed (sbyte* pq = q)
        fixed (int* pd = dots)
        {
            if (n == 1 && w.Type == GgmlType.I2_S) MatVec<I2SLayout>(w, row0, row1, pq, pd);
            else if (n == 1 && w.Type == GgmlType.TQ2_0) MatVec<TQ2Layout>(w, row0, row1, pq, pd);
            else if (n == 1 && w.Type == GgmlType.TQ1_0) TQ1MatVec256.Rows(w.Data + row0 * TernaryRows.RowBytes(w), row1 - row0, w.Cols, pq, TernaryCodes.Sum(pq, w.Cols), pd);
            else MatMat(w, row0, row1, pq, n, pd, dotsStride);
        }
    }

    // ---------------------------------------------------------------- mat-vec

    private static void MatVec<L>(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots) where L : struct, ITwoBitLayout
    {
        int k = w.Cols;
        var pq = (sbyte*)KernelScratch.Activations(k);
        PermuteActivations(q, k, pq);
        int sumq = TernaryCodes.Sum(q, k);
        long rb = L.RowBytes(k);
        MatVecRows<L>(w.Data + row0 * rb, row1 - row0, k, pq, sumq, dots);
    }

    /// <summary>
    /// Chunk g (256 values) of the permuted activations: plane s (64 bytes at 256g + 64s) = q[256g + 32s, +32) then
    /// q[256g + 128 + 32s, +32). A final 128-value half (I2_S with K mod 256 = 128) stays in natural order.
    /// </summary>
    private static void PermuteActivations(sbyte* q, int k, sbyte* pq)
    {
        int g = 0;
        for (; g + 256 <= k; g += 256)
            for (int s = 0; s < 4; s++)
            {
                Vector256.Load(q + g + 32 * s).Store(pq + g + 64 * s);
                Vector256.Load(q + g + 128 + 32 * s).Store(pq + g + 64 * s + 32);
            }
        for (int i = g; i < k; i += 32) Vector256.Load(q + i).Store(pq + i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MatVecRows<L>(byte* w, int rows, int k, sbyte* pq, int sumq, int* dots) where L : struct, ITwoBitLayout
    {
        const int chunksPerSegment = MaxAddsPerLane / 4; // each chunk adds 4 multiply-add results to a lane
        long rb = L.RowBytes(k);
        int chunks = k / 256;
        bool half = (k & 128) != 0; // I2_S only: a last 128-value half
        var m3 = V.Create((byte)3);
        var ones = V.Create((short)1);
        long tile = 4 * rb;
        long pf = (PrefetchBytes + tile - 1) / tile * tile;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            byte* p = w + r * rb;
            Vector512<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int g0 = 0; g0 < chunks; g0 += chunksPerSegment)
            {
                int g1 = Math.Min(g0 + chunksPerSegment, chunks);
                Vector512<short> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int g = g0; g < g1; g++)
                {
                    byte* c = p + g * L.ChunkBytes;
                    Sse.Prefetch0(c + pf);
                    Sse.Prefetch0(c + rb + pf);
                    Sse.Prefetch0(c + 2 * rb + pf);
                    Sse.Prefetch0(c + 3 * rb + pf);
                    sbyte* x = pq + g * 256;
                    var q0 = V.Load(x);
                    var q1 = V.Load(x + 64);
                    var q2 = V.Load(x + 128);
                    var q3 = V.Load(x + 192);
                    a0 += Chunk<L>(V.Load(c), q0, q1, q2, q3, m3);
                    a1 += Chunk<L>(V.Load(c + rb), q0, q1, q2, q3, m3);
                    a2 += Chunk<L>(V.Load(c + 2 * rb), q0, q1, q2, q3, m3);
                    a3 += Chunk<L>(V.Load(c + 3 * rb), q0, q1, q2, q3, m3);
                }
                s0 += ISA.MultiplyAddAdjacent(a0, ones);
                s1 += ISA.MultiplyAddAdjacent(a1, ones);
                s2 += ISA.MultiplyAddAdjacent(a2, ones);
                s3 += ISA.MultiplyAddAdjacent(a3, ones);
            }
            var sums = Reduce4(s0, s1, s2, s3) - Vector128.Create(sumq);
            if (half)
            {
                byte* c = p + chunks * 64;
                sbyte* x = pq + chunks * 256;
                sums += Vector128.Create(HalfI2S(c, x), HalfI2S(c + rb, x), HalfI2S(c + 2 * rb, x), HalfI2S(c + 3 * rb, x));
            }
            sums.Store(dots + r);
        }
        for (; r < rows; r++)
        {
            byte* p = w + r * rb;
            Vector512<int> s0 = default;
            for (int g0 = 0; g0 < chunks; g0 += chunksPerSegment)
            {
                int g1 = Math.Min(g0 + chunksPerSegment, chunks);
                Vector512<short> a0 = default;
                for (int g = g0; g < g1; g++)
                {
                    sbyte* x = pq + g * 256;
                    a0 += Chunk<L>(V.Load(p + g * L.ChunkBytes), V.Load(x), V.Load(x + 64), V.Load(x + 128), V.Load(x + 192), m3);
                }
                s0 += ISA.MultiplyAddAdjacent(a0, ones);
            }
            int sum = V.Sum(s0) - sumq;
            if (half) sum += HalfI2S(p + chunks * 64, pq + chunks * 256);
            dots[r] = sum;
        }
    }

    /// <summary>Σ c·q over one 256-value chunk (64 bytes of codes): the four planes' multiply-adds, summed (|lane| ≤ 4 · 768).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Chunk<L>(Vector512<byte> x, Vector512<sbyte> q0, Vector512<sbyte> q1, Vector512<sbyte> q2, Vector512<sbyte> q3, Vector512<byte> m3)
        where L : struct, ITwoBitLayout
    {
        var p0 = ISA.MultiplyAddAdjacent(Plane(x, L.Shift(0), m3), q0);
        var p1 = ISA.MultiplyAddAdjacent(Plane(x, L.Shift(1), m3), q1);
        var p2 = ISA.MultiplyAddAdjacent(Plane(x, L.Shift(2), m3), q2);
        var p3 = ISA.MultiplyAddAdjacent(Plane(x, L.Shift(3), m3), q3);
        return (p0 + p1) + (p2 + p3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Plane(Vector512<byte> x, byte shift, Vector512<byte> m3) =>
        (shift == 0 ? x : V.ShiftRightLogical(x.AsUInt16(), shift).AsByte()) & m3;

    /// <summary>Σ T·q over a final I2_S half (32 bytes, 128 values; activations in natural order), without the Σq correction applied to codes — this returns Σ c·q.</summary>
    private static int HalfI2S(byte* c, sbyte* x)
    {
        var v = Vector256.Load(c).AsUInt16();
        var m3 = Vector256.Create((byte)3);
        var acc = Avx2.MultiplyAddAdjacent((v >> 6).AsByte() & m3, Vector256.Load(x))
                + Avx2.MultiplyAddAdjacent((v >> 4).AsByte() & m3, Vector256.Load(x + 32))
                + Avx2.MultiplyAddAdjacent((v >> 2).AsByte() & m3, Vector256.Load(x + 64))
                + Avx2.MultiplyAddAdjacent(v.AsByte() & m3, Vector256.Load(x + 96));
        return Vector256.Sum(Avx2.MultiplyAddAdjacent(acc, Vector256.Create((short)1)));
    }

    /// <summary>The four lane sums of four vectors, as one Vector128 [Σv0, Σv1, Σv2, Σv3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Reduce4(Vector512<int> v0, Vector512<int> v1, Vector512<int> v2, Vector512<int> v3)
    {
        // 128-bit lanes 0–1 of x01 hold v0's two 256-bit halves added, lanes 2–3 v1's.
        var x01 = V.Create(v0.GetLower(), v1.GetLower()) + Avx512F.Shuffle4x128(v0, v1, 0xEE);
        var x23 = V.Create(v2.GetLower(), v3.GetLower()) + Avx512F.Shuffle4x128(v2, v3, 0xEE);
        // 128-bit lane g of y holds v_g's four partial sums.
        var y = Avx512F.Shuffle4x128(x01, x23, 0x88) + Avx512F.Shuffle4x128(x01, x23, 0xDD);
        y += Avx512F.Shuffle(y, 0b01_00_11_10);
        y += Avx512F.Shuffle(y, 0b10_11_00_01);
        return Avx512F.PermuteVar16x32(y, V.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower().GetLower();
    }

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

    private static void TileMatMul(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride)
    {
        int k = w.Cols;
        int panelRows = Math.Clamp(PanelBytes / k & ~3, 4, 64);
        byte* codes = KernelScratch.Codes((long)panelRows * k);
        var sumq = (int*)KernelScratch.Activations((long)n * sizeof(int));
        for (int t = 0; t < n; t++) sumq[t] = TernaryCodes.Sum(q + (long)t * k, k);
        int* f = stackalloc int[16];
        for (int p0 = row0; p0 < row1; p0 += panelRows)
        {
            int pr = Math.Min(panelRows, row1 - p0), padded = (pr + 3) & ~3;
            for (int i = 0; i < pr; i++) TernaryCodes.UnpackRow(w, p0 + i, codes + (long)i * k);
            new Span<byte>(codes + (long)pr * k, (padded - pr) * k).Clear(); // code 0 rows: computed, never stored
            int* d = dots + (p0 - row0);
            int t0 = 0;
            for (; t0 + 4 <= n; t0 += 4)
            {
                sbyte* x = q + (long)t0 * k;
                for (int i = 0; i < padded; i += 4)
                {
                    Tile4x4(codes + (long)i * k, x, k, f);
                    int rows = Math.Min(4, pr - i);
                    for (int t = 0; t < 4; t++)
                    {
                        int* dt = d + (long)(t0 + t) * stride + i;
                        int sq = sumq[t0 + t];
                        for (int r = 0; r < rows; r++) dt[r] = f[4 * r + t] - sq;
                    }
                }
            }
            for (; t0 < n; t0++)
            {
                sbyte* x = q + (long)t0 * k;
                int sq = sumq[t0];
                for (int i = 0; i < padded; i += 4)
                {
                    Tile4x1(codes + (long)i * k, x, k, f);
                    int* dt = d + (long)t0 * stride + i;
                    int rows = Math.Min(4, pr - i);
                    for (int r = 0; r < rows; r++) dt[r] = f[r] - sq;
                }
            }
        }
    }

    /// <summary>
    /// Σ c·q for 4 rows of codes (stride k) × 4 tokens (stride k): <c>f[4·row + token]</c>. Accumulator c{t}{r} is
    /// token t × row r; each int16 lane takes one multiply-add per 64 values, widened every <see cref="MaxAddsPerLane"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x4(byte* w, sbyte* q, int k, int* f)
    {
        var ones = V.Create((short)1);
        // int32 sums live in memory: touched once per segment, they would otherwise crowd the 16 int16 accumulators out of the 32 registers.
        var s = stackalloc Vector512<int>[16];
        for (int j = 0; j < 16; j++) s[j] = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        sbyte* q1 = q + k, q2 = q + 2 * k, q3 = q + 3 * k;
        for (int v0 = 0; v0 < k; v0 += 64 * MaxAddsPerLane)
        {
            int v1 = Math.Min(v0 + 64 * MaxAddsPerLane, k);
            Vector512<short> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<short> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            for (int i = v0; i < v1; i += 64)
            {
                var b0 = V.Load(w + i);
                var b1 = V.Load(w1 + i);
                var b2 = V.Load(w2 + i);
                var b3 = V.Load(w3 + i);
                var a = V.Load(q + i);
                c00 += ISA.MultiplyAddAdjacent(b0, a); c01 += ISA.MultiplyAddAdjacent(b1, a);
                c02 += ISA.MultiplyAddAdjacent(b2, a); c03 += ISA.MultiplyAddAdjacent(b3, a);
                a = V.Load(q1 + i);
                c10 += ISA.MultiplyAddAdjacent(b0, a); c11 += ISA.MultiplyAddAdjacent(b1, a);
                c12 += ISA.MultiplyAddAdjacent(b2, a); c13 += ISA.MultiplyAddAdjacent(b3, a);
                a = V.Load(q2 + i);
                c20 += ISA.MultiplyAddAdjacent(b0, a); c21 += ISA.MultiplyAddAdjacent(b1, a);
                c22 += ISA.MultiplyAddAdjacent(b2, a); c23 += ISA.MultiplyAddAdjacent(b3, a);
                a = V.Load(q3 + i);
                c30 += ISA.MultiplyAddAdjacent(b0, a); c31 += ISA.MultiplyAddAdjacent(b1, a);
                c32 += ISA.MultiplyAddAdjacent(b2, a); c33 += ISA.MultiplyAddAdjacent(b3, a);
            }
            s[0] += ISA.MultiplyAddAdjacent(c00, ones); s[1] += ISA.MultiplyAddAdjacent(c01, ones);
            s[2] += ISA.MultiplyAddAdjacent(c02, ones); s[3] += ISA.MultiplyAddAdjacent(c03, ones);
            s[4] += ISA.MultiplyAddAdjacent(c10, ones); s[5] += ISA.MultiplyAddAdjacent(c11, ones);
            s[6] += ISA.MultiplyAddAdjacent(c12, ones); s[7] += ISA.MultiplyAddAdjacent(c13, ones);
            s[8] += ISA.MultiplyAddAdjacent(c20, ones); s[9] += ISA.MultiplyAddAdjacent(c21, ones);
            s[10] += ISA.MultiplyAddAdjacent(c22, ones); s[11] += ISA.MultiplyAddAdjacent(c23, ones);
            s[12] += ISA.MultiplyAddAdjacent(c30, ones); s[13] += ISA.MultiplyAddAdjacent(c31, ones);
            s[14] += ISA.MultiplyAddAdjacent(c32, ones); s[15] += ISA.MultiplyAddAdjacent(c33, ones);
        }
        // Token t's row sums [Σ row0, Σ row1, Σ row2, Σ row3], then transposed into f[4·row + token].
        var t0 = Reduce4(s[0], s[1], s[2], s[3]);
        var t1 = Reduce4(s[4], s[5], s[6], s[7]);
        var t2 = Reduce4(s[8], s[9], s[10], s[11]);
        var t3 = Reduce4(s[12], s[13], s[14], s[15]);
        var lo01 = Sse2.UnpackLow(t0, t1); var hi01 = Sse2.UnpackHigh(t0, t1);
        var lo23 = Sse2.UnpackLow(t2, t3); var hi23 = Sse2.UnpackHigh(t2, t3);
        Sse2.UnpackLow(lo01.AsInt64(), lo23.AsInt64()).AsInt32().Store(f);
        Sse2.UnpackHigh(lo01.AsInt64(), lo23.AsInt64()).AsInt32().Store(f + 4);
        Sse2.UnpackLow(hi01.AsInt64(), hi23.AsInt64()).AsInt32().Store(f + 8);
        Sse2.UnpackHigh(hi01.AsInt64(), hi23.AsInt64()).AsInt32().Store(f + 12);
    }

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 1 token: <c>f[row]</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1(byte* w, sbyte* q, int k, int* f)
    {
        var ones = V.Create((short)1);
        Vector512<int> s0 = default, s1 = default, s2 = default, s3 = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        for (int v0 = 0; v0 < k; v0 += 64 * MaxAddsPerLane)
        {
            int v1 = Math.Min(v0 + 64 * MaxAddsPerLane, k);
            Vector512<short> c0 = default, c1 = default, c2 = default, c3 = default;
            for (int i = v0; i < v1; i += 64)
            {
                var a = V.Load(q + i);
                c0 += ISA.MultiplyAddAdjacent(V.Load(w + i), a);
                c1 += ISA.MultiplyAddAdjacent(V.Load(w1 + i), a);
                c2 += ISA.MultiplyAddAdjacent(V.Load(w2 + i), a);
                c3 += ISA.MultiplyAddAdjacent(V.Load(w3 + i), a);
            }
            s0 += ISA.MultiplyAddAdjacent(c0, ones); s1 += ISA.MultiplyAddAdjacent(c1, ones);
            s2 += ISA.MultiplyAddAdjacent(c2, ones); s3 += ISA.MultiplyAddAdjacent(c3, ones);
        }
        Reduce4(s0, s1, s2, s3).Store(f);
    }
}
