using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels.Arm64;

/// <summary>
/// The ARM64 tiles over unpacked codes (<see cref="PanelMatMul"/>): 4 rows × 4 tokens of int32 accumulators with
/// <typeparamref name="D"/>'s dot-add (16 accumulators, 4 code and 1 activation register of the 32). A lane gains at most
/// 1536 per 16 weights: exact for every K an int32 dot can hold. No int16 stage, so no widening segments.
/// </summary>
internal unsafe struct Arm64Tiles<D> : ICodeTile where D : struct, IDotAdd128
{
    public static int Rows => 4;
    public static int Tokens => 4;
    public static int TokenBlockBytes => int.MaxValue;

    public static void Full(byte* w, sbyte* x, int k, int* f) => Tile4x4(w, x, k, f);

    public static void One(byte* w, sbyte* x, int k, int* f) => Tile4x1(w, x, k, f);

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 4 tokens (stride k): <c>f[4·token + row]</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(byte* w, sbyte* x, int k, int* f)
    {
        Vector128<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector128<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        sbyte* x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        for (int i = 0; i < k; i += 16)
        {
            var b0 = Vector128.Load(w + i).AsSByte();
            var b1 = Vector128.Load(w1 + i).AsSByte();
            var b2 = Vector128.Load(w2 + i).AsSByte();
            var b3 = Vector128.Load(w3 + i).AsSByte();
            var a = Vector128.Load(x + i);
            c00 = D.DotAdd(c00, b0, a); c01 = D.DotAdd(c01, b1, a); c02 = D.DotAdd(c02, b2, a); c03 = D.DotAdd(c03, b3, a);
            a = Vector128.Load(x1 + i);
            c10 = D.DotAdd(c10, b0, a); c11 = D.DotAdd(c11, b1, a); c12 = D.DotAdd(c12, b2, a); c13 = D.DotAdd(c13, b3, a);
            a = Vector128.Load(x2 + i);
            c20 = D.DotAdd(c20, b0, a); c21 = D.DotAdd(c21, b1, a); c22 = D.DotAdd(c22, b2, a); c23 = D.DotAdd(c23, b3, a);
            a = Vector128.Load(x3 + i);
            c30 = D.DotAdd(c30, b0, a); c31 = D.DotAdd(c31, b1, a); c32 = D.DotAdd(c32, b2, a); c33 = D.DotAdd(c33, b3, a);
        }
        AdvSimdPlanes.Sum4(c00, c01, c02, c03).Store(f);
        AdvSimdPlanes.Sum4(c10, c11, c12, c13).Store(f + 4);
        AdvSimdPlanes.Sum4(c20, c21, c22, c23).Store(f + 8);
        AdvSimdPlanes.Sum4(c30, c31, c32, c33).Store(f + 12);
    }

    /// <summary>Σ c·q for 4 rows of codes (stride k) × 1 token: <c>f[row]</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1(byte* w, sbyte* x, int k, int* f)
    {
        Vector128<int> c0 = default, c1 = default, c2 = default, c3 = default;
        byte* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        for (int i = 0; i < k; i += 16)
        {
            var a = Vector128.Load(x + i);
            c0 = D.DotAdd(c0, Vector128.Load(w + i).AsSByte(), a);
            c1 = D.DotAdd(c1, Vector128.Load(w1 + i).AsSByte(), a);
            c2 = D.DotAdd(c2, Vector128.Load(w2 + i).AsSByte(), a);
            c3 = D.DotAdd(c3, Vector128.Load(w3 + i).AsSByte(), a);
        }
        AdvSimdPlanes.Sum4(c0, c1, c2, c3).Store(f);
    }
}
