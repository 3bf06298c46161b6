using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Gguf;
using V = System.Runtime.Intrinsics.Vector128;

namespace Tern.Kernels.Portable;

/// <summary>
/// Ternary dots on 128-bit vectors with the cross-platform <see cref="Vector128"/> API (SSE on x86, AdvSimd on ARM),
/// for machines without AVX2. The arithmetic is <see cref="X86.Avx2Kernel"/>'s on 16-byte vectors: codes c = T + 1,
/// Σ T·q = Σ c·q − Σ q, int16 lanes widened after at most <see cref="X86.Avx512BWKernel.MaxAddsPerLane"/> multiply-adds.
/// <para>The one non-portable step, <c>pmaddubsw</c>, is taken when SSSE3 is there; elsewhere <see cref="MulAdd"/>
/// widens both operands to int16 and adds lane i to lane i + 8 instead of 2i to 2i + 1 — the same total with the same
/// per-lane bound (|lane| ≤ 2 · 3 · 128), so both paths return the same sums.</para>
/// </summary>
public sealed unsafe class Vector128Kernel : ITernaryKernel
{
    public static readonly Vector128Kernel Instance = new();

    public static bool IsSupported => V.IsHardwareAccelerated;

    public string Name => "vector128";

    public bool Supports(TernaryMatrix w) => TernaryRows.Supported(w);

    private const int MaxAddsPerLane = X86.Avx512BWKernel.MaxAddsPerLane;
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
            else MatMat(w, row0, row1, pq, n, pd, dotsStride);
        }
    }

    /// <summary>Pair sums of codes × activations: 8 int16 lanes whose total is Σ c·q over the 16 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<short> MulAdd(Vector128<byte> c, Vector128<sbyte> q)
    {
        if (Ssse3.IsSupported) return Ssse3.MultiplyAddAdjacent(c, q);
        return MulAddPortable(c, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<short> MulAddPortable(Vector128<byte> c, Vector128<sbyte> q) =>
        V.WidenLower(c).AsInt16() * V.WidenLower(q) + V.WidenUpper(c).AsInt16() * V.WidenUpper(q);

    /// <summary>int16 lanes to int32 lanes with the same total.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Widen(Vector128<short> a)
    {
        if (Sse2.IsSupported) return Sse2.MultiplyAddAdjacent(a, V.Create((short)1));
        return V.WidenLower(a) + V.WidenUpper(a);
    }

    // ---------------------------------------------------------------- mat-vec

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MatVecRows<L>(byte* w, int rows, int k, sbyte* q, int sumq, int* dots) where L : struct, ITwoBitLayout
    {
        // Each 16-byte piece adds 4 multiply-add results to a lane, and a half block is 2 pieces into the same lanes.
        const int halvesPerSegment = MaxAddsPerLane / 8;
        long rb = L.RowBytes(k);
        int halves = k / 128;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            byte* p = w + r * rb;
            Vector128<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int h0 = 0; h0 < halves; h0 += halvesPerSegment)
            {
                int h1 = Math.Min(h0 + halvesPerSegment, halves);
                Vector128<short> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int h = h0; h < h1; h++)
                {
                    byte* c = p + (h >> 1) * L.ChunkBytes + (h & 1) * 32;
                    for (int j = 0; j < 32; j += 16)
                    {
                        sbyte* x = q + h * 128 + j;
                        a0 += Piece<L>(V.Load(c + j), x);
                        a1 += Piece<L>(V.Load(c + rb + j), x);
                        a2 += Piece<L>(V.Load(c + 2 * rb + j), x);
                        a3 += Piece<L>(V.Load(c + 3 * rb + j), x);
                    }
                }
                s0 += Widen(a0); s1 += Widen(a1); s2 += Widen(a2); s3 += Widen(a3);
            }
            dots[r] = V.Sum(s0) - sumq;
            dots[r + 1] = V.Sum(s1) - sumq;
            dots[r + 2] = V.Sum(s2) - sumq;
            dots[r + 3] = V.Sum(s3) - sumq;
        }
        for (; r < rows; r++)
        {
            byte* p = w + r * rb;
            Vector128<int> s0 = default;
            for (int h0 = 0; h0 < halves; h0 += halvesPerSegment)
            {
                int h1 = Math.Min(h0 + halvesPerSegment, halves);
                Vector128<short> a0 = default;
                for (int h = h0; h < h1; h++)
                {
                    byte* c = p + (h >> 1) * L.ChunkBytes + (h & 1) * 32;
                    a0 += Piece<L>(V.Load(c), q + h * 128);
                    a0 += Piece<L>(V.Load(c + 16), q + h * 128 + 16);
                }
                s0 += Widen(a0);
            }
            dots[r] = V.Sum(s0) - sumq;
        }
    }

    /// <summary>Σ c·q over 16 bytes of a half block (64 values: 16 of each plane, x at the piece's first value of plane 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Piece<L>(Vector128<byte> x, sbyte* q) where L : struct, ITwoBitLayout
    {
        var m3 = V.Create((byte)3);
        var p0 = MulAdd(Plane(x, L.Shift(0), m3), V.Load(q));
        var p1 = MulAdd(Plane(x, L.Shift(1), m3), V.Load(q + 32));
        var p2 = MulAdd(Plane(x, L.Shift(2), m3), V.Load(q + 64));
        var p3 = MulAdd(Plane(x, L.Shift(3), m3), V.Load(q + 96));
        return (p0 + p1) + (p2 + p3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Plane(Vector128<byte> x, byte shift, Vector128<byte> m3) =>
        (shift == 0 ? x : V.ShiftRightLogical(x.AsUInt16(), shift).AsByte()) & m3;

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
    private static void Tile4x2(byte* w, sbyte* x0, sbyte* x1, int k, int* f)
    {
        var s = stackalloc Vector128<int>[8];
        for (int j = 0; j < 8; j++) s[j] = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        for (int v0 = 0; v0 < k; v0 += 16 * MaxAddsPerLane)
        {
            int v1 = Math.Min(v0 + 16 * MaxAddsPerLane, k);
            Vector128<short> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            for (int i = v0; i < v1; i += 16)
            {
                var b0 = V.Load(w + i);
                var b1 = V.Load(w1 + i);
                var b2 = V.Load(w2 + i);
                var b3 = V.Load(w3 + i);
                var a = V.Load(x0 + i);
                c00 += MulAdd(b0, a); c01 += MulAdd(b1, a); c02 += MulAdd(b2, a); c03 += MulAdd(b3, a);
                a = V.Load(x1 + i);
                c10 += MulAdd(b0, a); c11 += MulAdd(b1, a); c12 += MulAdd(b2, a); c13 += MulAdd(b3, a);
            }
            s[0] += Widen(c00); s[1] += Widen(c01); s[2] += Widen(c02); s[3] += Widen(c03);
            s[4] += Widen(c10); s[5] += Widen(c11); s[6] += Widen(c12); s[7] += Widen(c13);
        }
        for (int j = 0; j < 8; j++) f[j] = V.Sum(s[j]);
    }
}
