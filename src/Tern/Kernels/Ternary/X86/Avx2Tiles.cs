using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ISA = System.Runtime.Intrinsics.X86.Avx2;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// The AVX2 multiply-add tile over unpacked codes (<see cref="PanelMatMul"/>): 4 rows × 2 tokens (AVX2 has 16 vector
/// registers: 8 accumulators, 4 codes, 1 activation). A single token runs as a pair with itself.
/// </summary>
internal unsafe struct Avx2Tiles : ICodeTile
{
    public static int Rows => 4;
    public static int Tokens => 2;
    public static int TokenBlockBytes => int.MaxValue;

    public static void Full(byte* w, sbyte* x, int k, int* f) => Tile4x2(w, x, x + k, k, f);

    public static void One(byte* w, sbyte* x, int k, int* f) => Tile4x2(w, x, x, k, f);

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 2 tokens: <c>f[4·token + row]</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Tile4x2(byte* w, sbyte* x0, sbyte* x1, int k, int* f)
    {
        var ones = V.Create((short)1);
        var s = stackalloc Vector256<int>[8];
        for (int j = 0; j < 8; j++) s[j] = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        for (int v0 = 0; v0 < k; v0 += 32 * KernelTuning.MaxAddsPerLane)
        {
            int v1 = Math.Min(v0 + 32 * KernelTuning.MaxAddsPerLane, k);
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
        Reduce256.Four(s[0], s[1], s[2], s[3]).Store(f);
        Reduce256.Four(s[4], s[5], s[6], s[7]).Store(f + 4);
    }
}
