using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Tern.Kernels.Arm64;

/// <summary>
/// The plain AdvSimd small-batch step: one 128-value half block decoded once per row (<see cref="CodePlanes128"/>),
/// then per token eight planes multiplied into an int16 accumulator by <c>smlal2</c>/<c>smlal</c>
/// (<see cref="AdvSimdPlanes.MulAdd"/>: two instructions per 16 weights, where a dot-add into int32 would take three).
/// As <see cref="AdvSimdMatVecStep"/>: 8 pairs of products ≤ 768 per lane and step, 5 steps per widening
/// (<c>sadalp</c>). Activations in natural order.
/// </summary>
internal unsafe struct AdvSimdBatchStep : IBatchStep<CodePlanes128, Vector128<short>, Vector128<int>>
{
    public static int Values => 128;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 8;
    public static bool Prefetch => false;

    public static sbyte* Arrange(sbyte* q, int k, int n) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CodePlanes128 Decode<L>(byte* c) where L : struct, ITwoBitLayout => CodePlanes128.Decode<L>(c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref Vector128<short> acc, in CodePlanes128 p, sbyte* x)
    {
        var a = AdvSimdPlanes.MulAdd(acc, p.P0, Vector128.Load(x));
        a = AdvSimdPlanes.MulAdd(a, p.P1, Vector128.Load(x + 16));
        a = AdvSimdPlanes.MulAdd(a, p.P2, Vector128.Load(x + 32));
        a = AdvSimdPlanes.MulAdd(a, p.P3, Vector128.Load(x + 48));
        a = AdvSimdPlanes.MulAdd(a, p.P4, Vector128.Load(x + 64));
        a = AdvSimdPlanes.MulAdd(a, p.P5, Vector128.Load(x + 80));
        a = AdvSimdPlanes.MulAdd(a, p.P6, Vector128.Load(x + 96));
        acc = AdvSimdPlanes.MulAdd(a, p.P7, Vector128.Load(x + 112));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector128<int> sum, Vector128<short> acc) => sum = AdvSimd.AddPairwiseWideningAndAdd(sum, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector128<int> s) => Vector128.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
