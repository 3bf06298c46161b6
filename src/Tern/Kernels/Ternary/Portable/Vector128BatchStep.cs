using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector128;

namespace Tern.Kernels.Portable;

/// <summary>
/// The 128-bit small-batch step: one 128-value half block as two 16-byte pieces, decoded into eight code planes
/// (4 per piece) once per row, then eight multiply-adds per token from <typeparamref name="M"/> (|lane| ≤ 8 · 768 per
/// step, 5 steps per widening, as <see cref="Vector128MatVecStep{M}"/>). Activations in natural order.
/// </summary>
internal unsafe struct Vector128BatchStep<M> : IBatchStep<Vector128BatchStep<M>.Planes, Vector128<short>, Vector128<int>> where M : struct, IMultiplyAdd128
{
    /// <summary>Plane s of the first piece (values 32s + m, m &lt; 16) in Ls, of the second (m ≥ 16) in Hs.</summary>
    public struct Planes
    {
        public Vector128<byte> L0, L1, L2, L3, H0, H1, H2, H3;
    }

    public static int Values => 128;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 8;
    public static bool Prefetch => false;

    public static sbyte* Arrange(sbyte* q, int k, int n) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Planes Decode<L>(byte* c) where L : struct, ITwoBitLayout
    {
        var m3 = V.Create((byte)3);
        var lo = V.Load(c);
        var hi = V.Load(c + 16);
        return new Planes
        {
            L0 = Plane(lo, L.Shift(0), m3), L1 = Plane(lo, L.Shift(1), m3), L2 = Plane(lo, L.Shift(2), m3), L3 = Plane(lo, L.Shift(3), m3),
            H0 = Plane(hi, L.Shift(0), m3), H1 = Plane(hi, L.Shift(1), m3), H2 = Plane(hi, L.Shift(2), m3), H3 = Plane(hi, L.Shift(3), m3),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Plane(Vector128<byte> x, byte shift, Vector128<byte> m3) =>
        (shift == 0 ? x : V.ShiftRightLogical(x.AsUInt16(), shift).AsByte()) & m3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref Vector128<short> acc, in Planes p, sbyte* x)
    {
        acc += (M.MulAdd(p.L0, V.Load(x)) + M.MulAdd(p.L1, V.Load(x + 32))) + (M.MulAdd(p.L2, V.Load(x + 64)) + M.MulAdd(p.L3, V.Load(x + 96)));
        acc += (M.MulAdd(p.H0, V.Load(x + 16)) + M.MulAdd(p.H1, V.Load(x + 48))) + (M.MulAdd(p.H2, V.Load(x + 80)) + M.MulAdd(p.H3, V.Load(x + 112)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector128<int> sum, Vector128<short> acc) => sum += M.Widen(acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector128<int> s) => V.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
