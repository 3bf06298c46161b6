using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ISA = System.Runtime.Intrinsics.X86.Avx512BW;
using V = System.Runtime.Intrinsics.Vector512;

namespace Tern.Kernels.X86;

/// <summary>
/// The AVX-512BW multiply-add tiles over unpacked codes (<see cref="PanelMatMul"/>): 4 rows × 4 tokens — per 64
/// values, 4 code loads + 4 activation loads feed 16 multiply-adds into 16 int16 accumulators — and 4 rows × 1 token
/// for the remaining tokens.
/// </summary>
internal unsafe struct Avx512BWTiles : ICodeTile
{
    public static int Rows => 4;
    public static int Tokens => 4;
    public static int TokenBlockBytes => int.MaxValue;

    public static void Full(byte* w, sbyte* x, int k, int* f) => Tile4x4(w, x, k, f);

    public static void One(byte* w, sbyte* x, int k, int* f) => Tile4x1(w, x, k, f);

    /// <summary>
    /// Σ c·q for 4 rows of codes (stride k) × 4 tokens (stride k): <c>f[4·token + row]</c>. Accumulator c{t}{r} is
    /// token t × row r; each int16 lane takes one multiply-add per 64 values, widened every <see cref="KernelTuning.MaxAddsPerLane"/>.
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
        for (int v0 = 0; v0 < k; v0 += 64 * KernelTuning.MaxAddsPerLane)
        {
            int v1 = Math.Min(v0 + 64 * KernelTuning.MaxAddsPerLane, k);
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
        // Token t's row sums [Σ row0, Σ row1, Σ row2, Σ row3] at f[4·t].
        Avx512BWMatVecStep.Reduce4(s[0], s[1], s[2], s[3]).Store(f);
        Avx512BWMatVecStep.Reduce4(s[4], s[5], s[6], s[7]).Store(f + 4);
        Avx512BWMatVecStep.Reduce4(s[8], s[9], s[10], s[11]).Store(f + 8);
        Avx512BWMatVecStep.Reduce4(s[12], s[13], s[14], s[15]).Store(f + 12);
    }

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 1 token: <c>f[row]</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x1(byte* w, sbyte* q, int k, int* f)
    {
        var ones = V.Create((short)1);
        Vector512<int> s0 = default, s1 = default, s2 = default, s3 = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        for (int v0 = 0; v0 < k; v0 += 64 * KernelTuning.MaxAddsPerLane)
        {
            int v1 = Math.Min(v0 + 64 * KernelTuning.MaxAddsPerLane, k);
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
        Avx512BWMatVecStep.Reduce4(s0, s1, s2, s3).Store(f);
    }
}
