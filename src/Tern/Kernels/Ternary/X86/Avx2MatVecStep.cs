using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ISA = System.Runtime.Intrinsics.X86.Avx2;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// The AVX2 mat-vec step: one 32-byte load is a 128-value half block whose four planes (shift + and) are runs of 32
/// consecutive values, so the activations are used in their natural order; four multiply-adds into one int16
/// accumulator per step (|lane| ≤ 4 · 768, 10 steps per widening: whole 256-value chunks).
/// </summary>
internal unsafe struct Avx2MatVecStep : IMatVecStep<ActivationPointer, Vector256<short>, Vector256<int>>
{
    public static int Values => 128;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 4 & ~1;
    public static bool Prefetch => true;

    public static sbyte* Arrange(sbyte* q, int k) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ActivationPointer Load(sbyte* x) => new(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<L>(ref Vector256<short> acc, byte* c, in ActivationPointer x) where L : struct, ITwoBitLayout
    {
        var m3 = V.Create((byte)3);
        var v = V.Load(c);
        sbyte* q = x.X;
        var p0 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(0), m3), V.Load(q));
        var p1 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(1), m3), V.Load(q + 32));
        var p2 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(2), m3), V.Load(q + 64));
        var p3 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(3), m3), V.Load(q + 96));
        acc += (p0 + p1) + (p2 + p3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Plane(Vector256<byte> x, byte shift, Vector256<byte> m3) =>
        (shift == 0 ? x : V.ShiftRightLogical(x.AsUInt16(), shift).AsByte()) & m3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector256<int> sum, Vector256<short> acc) => sum += ISA.MultiplyAddAdjacent(acc, V.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Reduce4(Vector256<int> s0, Vector256<int> s1, Vector256<int> s2, Vector256<int> s3) => Reduce256.Four(s0, s1, s2, s3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector256<int> s) => V.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
