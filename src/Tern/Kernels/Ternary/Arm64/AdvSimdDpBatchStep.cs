using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels.Arm64;

/// <summary>
/// The <c>sdot</c> small-batch step: one 128-value half block decoded once per row (<see cref="CodePlanes128"/>, 6
/// instructions), then eight <c>sdot</c> per token into one int32 accumulator. A lane gains at most 8 · 1536 per
/// step, so 1024 steps per widening stay below 2³¹; the "widening" is a plain add. Activations in natural order.
/// </summary>
internal unsafe struct AdvSimdDpBatchStep : IBatchStep<CodePlanes128, Vector128<int>, Vector128<int>>
{
    public static int Values => 128;
    public static int StepsPerWiden => 1024;
    public static bool Prefetch => false;

    public static sbyte* Arrange(sbyte* q, int k, int n) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CodePlanes128 Decode<L>(byte* c) where L : struct, ITwoBitLayout => CodePlanes128.Decode<L>(c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref Vector128<int> acc, in CodePlanes128 p, sbyte* x)
    {
        var a = DpDotAdd.DotAdd(acc, p.P0, Vector128.Load(x));
        a = DpDotAdd.DotAdd(a, p.P1, Vector128.Load(x + 16));
        a = DpDotAdd.DotAdd(a, p.P2, Vector128.Load(x + 32));
        a = DpDotAdd.DotAdd(a, p.P3, Vector128.Load(x + 48));
        a = DpDotAdd.DotAdd(a, p.P4, Vector128.Load(x + 64));
        a = DpDotAdd.DotAdd(a, p.P5, Vector128.Load(x + 80));
        a = DpDotAdd.DotAdd(a, p.P6, Vector128.Load(x + 96));
        acc = DpDotAdd.DotAdd(a, p.P7, Vector128.Load(x + 112));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector128<int> sum, Vector128<int> acc) => sum += acc;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector128<int> s) => Vector128.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
