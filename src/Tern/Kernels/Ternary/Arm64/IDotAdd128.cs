using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Tern.Kernels.Arm64;

/// <summary>
/// acc + Σ a·b by groups of four bytes into int32 lanes: the one operation the ARM64 kernels' small-batch step, tiles
/// and TQ1_0 mat-vec are written over. <c>a</c> is a code vector (|a| ≤ 3: codes, or minus codes), <c>b</c> int8
/// activations, so a lane gains at most 4 · 3 · 128 = 1536 per call.
/// </summary>
internal interface IDotAdd128
{
    static abstract Vector128<int> DotAdd(Vector128<int> acc, Vector128<sbyte> a, Vector128<sbyte> b);
}

/// <summary><see cref="IDotAdd128"/> in one instruction: <c>sdot</c> (ARMv8.2 dot product, every Apple M and Neoverse core).</summary>
internal struct DpDotAdd : IDotAdd128
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotAdd(Vector128<int> acc, Vector128<sbyte> a, Vector128<sbyte> b) => Dp.DotProduct(acc, a, b);
}

/// <summary>
/// <see cref="IDotAdd128"/> in three plain AdvSimd instructions: <c>smull2</c> (lanes 8–15) and <c>smlal</c> (lanes
/// 0–7) leave a[i]·b[i] + a[i + 8]·b[i + 8] in int16 lane i (|lane| ≤ 2 · 3 · 128), and <c>sadalp</c> adds adjacent
/// int16 lanes into the int32 accumulator. Lanes hold other groups of four than <c>sdot</c>'s; the total is the same.
/// </summary>
internal struct NeonDotAdd : IDotAdd128
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotAdd(Vector128<int> acc, Vector128<sbyte> a, Vector128<sbyte> b) =>
        AdvSimd.AddPairwiseWideningAndAdd(acc, AdvSimd.MultiplyWideningLowerAndAdd(AdvSimd.MultiplyWideningUpper(a, b), a.GetLower(), b.GetLower()));
}
