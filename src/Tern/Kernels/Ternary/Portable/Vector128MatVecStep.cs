using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector128;

namespace Tern.Kernels.Portable;

/// <summary>
/// The 128-bit mat-vec step (a 128-value half block as two 16-byte pieces): <see cref="X86.Avx2MatVecStep"/>'s
/// arithmetic on 16-byte vectors, multiply-add from <typeparamref name="M"/>. Each piece adds 4 multiply-add results
/// to a lane and a half is 2 pieces into the same lanes: 5 halves per widening. No prefetch (portable).
/// </summary>
internal unsafe struct Vector128MatVecStep<M> : IMatVecStep<ActivationPointer, Vector128<short>, Vector128<int>> where M : struct, IMultiplyAdd128
{
    public static int Values => 128;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 8;
    public static bool Prefetch => false;

    public static sbyte* Arrange(sbyte* q, int k) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ActivationPointer Load(sbyte* x) => new(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<L>(ref Vector128<short> acc, byte* c, in ActivationPointer x) where L : struct, ITwoBitLayout
    {
        acc += Piece<L>(V.Load(c), x.X);
        acc += Piece<L>(V.Load(c + 16), x.X + 16);
    }

    /// <summary>Σ c·q over 16 bytes of a half block (64 values: 16 of each plane, q at the piece's first value of plane 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Piece<L>(Vector128<byte> x, sbyte* q) where L : struct, ITwoBitLayout
    {
        var m3 = V.Create((byte)3);
        var p0 = M.MulAdd(Plane(x, L.Shift(0), m3), V.Load(q));
        var p1 = M.MulAdd(Plane(x, L.Shift(1), m3), V.Load(q + 32));
        var p2 = M.MulAdd(Plane(x, L.Shift(2), m3), V.Load(q + 64));
        var p3 = M.MulAdd(Plane(x, L.Shift(3), m3), V.Load(q + 96));
        return (p0 + p1) + (p2 + p3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Plane(Vector128<byte> x, byte shift, Vector128<byte> m3) =>
        (shift == 0 ? x : V.ShiftRightLogical(x.AsUInt16(), shift).AsByte()) & m3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector128<int> sum, Vector128<short> acc) => sum += M.Widen(acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Reduce4(Vector128<int> s0, Vector128<int> s1, Vector128<int> s2, Vector128<int> s3) =>
        V.Create(V.Sum(s0), V.Sum(s1), V.Sum(s2), V.Sum(s3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector128<int> s) => V.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
