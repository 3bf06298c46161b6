using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ISA = System.Runtime.Intrinsics.X86.Avx2;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// The AVX2 mat-vec step: a whole 256-value chunk, two 32-byte loads of 128-value half blocks whose four planes
/// (shift + and) are runs of 32 consecutive values, so the activations are used in their natural order; eight
/// multiply-adds into one int16 accumulator per step (|lane| ≤ 8 · 768, 5 steps per widening). A chunk per step
/// rather than a half halves the loop's address arithmetic and needs no branch for the once-per-chunk prefetch.
/// </summary>
internal unsafe struct Avx2MatVecStep : IMatVecStep<ActivationPointer, Vector256<short>, Vector256<int>>
{
    public static int Values => 256;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 8; // each step adds 8 multiply-add results to a lane
    public static bool Prefetch => true;

    public static sbyte* Arrange(sbyte* q, int k) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ActivationPointer Load(sbyte* x) => new(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<L>(ref Vector256<short> acc, byte* c, in ActivationPointer x) where L : struct, ITwoBitLayout =>
        acc += Half<L>(V.Load(c), x.X) + Half<L>(V.Load(c + 32), x.X + 128);

    /// <summary>Σ c·q over one 128-value half block (32 bytes of codes v, activations q[0, 128)), |lane| ≤ 4 · 768.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Half<L>(Vector256<byte> v, sbyte* q) where L : struct, ITwoBitLayout
    {
        var m3 = V.Create((byte)3);
        var p0 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(0), m3), V.Load(q));
        var p1 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(1), m3), V.Load(q + 32));
        var p2 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(2), m3), V.Load(q + 64));
        var p3 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(3), m3), V.Load(q + 96));
        return (p0 + p1) + (p2 + p3);
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

    /// <summary>Σ c·q over a final I2_S half (activations in natural order).</summary>
    public static int Tail(byte* c, sbyte* x) => V.Sum(ISA.MultiplyAddAdjacent(Half<I2SLayout>(V.Load(c), x), V.Create((short)1)));
}
