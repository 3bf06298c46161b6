using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Tern.Kernels.Arm64;

/// <summary>
/// The plain AdvSimd mat-vec step (no dot-product extension): one 128-value half block per step, activations loaded
/// once per step for the four rows (<see cref="Activations128"/>). Each plane (<see cref="AdvSimdPlanes.Codes"/>) is
/// multiplied into the row's int16 accumulator by <c>smlal2</c> (lanes 8–15) and <c>smlal</c> (lanes 0–7,
/// <see cref="AdvSimdPlanes.MulAdd"/>): two instructions per 16 weights, each adding one product ≤ 3 · 128 to a lane. A step adds 16 products (8 pairs of
/// ≤ 768, the unit of <see cref="KernelTuning.MaxAddsPerLane"/>) to a lane, so 5 steps per widening (<c>sadalp</c>).
/// </summary>
internal unsafe struct AdvSimdMatVecStep : IMatVecStep<Activations128, Vector128<short>, Vector128<int>>
{
    public static int Values => 128;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 8;
    public static bool Prefetch => false;

    public static sbyte* Arrange(sbyte* q, int k) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Activations128 Load(sbyte* x) => Activations128.Load(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<L>(ref Vector128<short> acc, byte* c, in Activations128 x) where L : struct, ITwoBitLayout
    {
        var v = Vector128.Load(c);
        acc = AdvSimdPlanes.MulAdd(acc, AdvSimdPlanes.Codes(v, L.Shift(0)), x.Q0);
        acc = AdvSimdPlanes.MulAdd(acc, AdvSimdPlanes.Codes(v, L.Shift(1)), x.Q2);
        acc = AdvSimdPlanes.MulAdd(acc, AdvSimdPlanes.Codes(v, L.Shift(2)), x.Q4);
        acc = AdvSimdPlanes.MulAdd(acc, AdvSimdPlanes.Codes(v, L.Shift(3)), x.Q6);
        v = Vector128.Load(c + 16);
        acc = AdvSimdPlanes.MulAdd(acc, AdvSimdPlanes.Codes(v, L.Shift(0)), x.Q1);
        acc = AdvSimdPlanes.MulAdd(acc, AdvSimdPlanes.Codes(v, L.Shift(1)), x.Q3);
        acc = AdvSimdPlanes.MulAdd(acc, AdvSimdPlanes.Codes(v, L.Shift(2)), x.Q5);
        acc = AdvSimdPlanes.MulAdd(acc, AdvSimdPlanes.Codes(v, L.Shift(3)), x.Q7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector128<int> sum, Vector128<short> acc) => sum = AdvSimd.AddPairwiseWideningAndAdd(sum, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Reduce4(Vector128<int> s0, Vector128<int> s1, Vector128<int> s2, Vector128<int> s3) => AdvSimdPlanes.Sum4(s0, s1, s2, s3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector128<int> s) => Vector128.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
