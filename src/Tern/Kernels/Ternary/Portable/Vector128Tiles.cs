using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector128;

namespace Tern.Kernels.Portable;

/// <summary>
/// The 128-bit multiply-add tile over unpacked codes (<see cref="PanelMatMul"/>): 4 rows × 2 tokens, multiply-add
/// from <typeparamref name="M"/>; a single token runs as a pair with itself.
/// </summary>
internal unsafe struct Vector128Tiles<M> : ICodeTile where M : struct, IMultiplyAdd128
{
    public static int Rows => 4;
    public static int Tokens => 2;
    public static int TokenBlockBytes => int.MaxValue;

    public static void Full(byte* w, sbyte* x, int k, int* f) => Tile4x2(w, x, x + k, k, f);

    public static void One(byte* w, sbyte* x, int k, int* f) => Tile4x2(w, x, x, k, f);

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 2 tokens: <c>f[4·token + row]</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x2(byte* w, sbyte* x0, sbyte* x1, int k, int* f)
    {
        var s = stackalloc Vector128<int>[8];
        for (int j = 0; j < 8; j++) s[j] = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        for (int v0 = 0; v0 < k; v0 += 16 * KernelTuning.MaxAddsPerLane)
        {
            int v1 = Math.Min(v0 + 16 * KernelTuning.MaxAddsPerLane, k);
            Vector128<short> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            for (int i = v0; i < v1; i += 16)
            {
                var b0 = V.Load(w + i);
                var b1 = V.Load(w1 + i);
                var b2 = V.Load(w2 + i);
                var b3 = V.Load(w3 + i);
                var a = V.Load(x0 + i);
                c00 += M.MulAdd(b0, a); c01 += M.MulAdd(b1, a); c02 += M.MulAdd(b2, a); c03 += M.MulAdd(b3, a);
                a = V.Load(x1 + i);
                c10 += M.MulAdd(b0, a); c11 += M.MulAdd(b1, a); c12 += M.MulAdd(b2, a); c13 += M.MulAdd(b3, a);
            }
            s[0] += M.Widen(c00); s[1] += M.Widen(c01); s[2] += M.Widen(c02); s[3] += M.Widen(c03);
            s[4] += M.Widen(c10); s[5] += M.Widen(c11); s[6] += M.Widen(c12); s[7] += M.Widen(c13);
        }
        for (int j = 0; j < 8; j++) f[j] = V.Sum(s[j]);
    }
}
