using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Tern.Kernels.Arm64;

/// <summary>Small AdvSimd helpers shared by the ARM64 steps and tiles.</summary>
internal static class AdvSimdPlanes
{
    /// <summary>
    /// The codes at bit <paramref name="shift"/> of each byte of <paramref name="v"/> (0..3): <c>ushr</c> then
    /// <c>and</c>, one instruction at shift 0 (no shift) and at shift 6 (the shift leaves nothing above the pair). <paramref name="shift"/> ∈ {0, 2, 4, 6}, a JIT constant.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> Codes(Vector128<byte> v, byte shift) => shift switch
    {
        0 => (v & Vector128.Create((byte)3)).AsSByte(),
        2 => (AdvSimd.ShiftRightLogical(v, 2) & Vector128.Create((byte)3)).AsSByte(),
        4 => (AdvSimd.ShiftRightLogical(v, 4) & Vector128.Create((byte)3)).AsSByte(),
        _ => AdvSimd.ShiftRightLogical(v, 6).AsSByte(),
    };

    /// <summary>[Σ s0, Σ s1, Σ s2, Σ s3] in three <c>addp</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Sum4(Vector128<int> s0, Vector128<int> s1, Vector128<int> s2, Vector128<int> s3) =>
        AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(s0, s1), AdvSimd.Arm64.AddPairwise(s2, s3));

    /// <summary>
    /// acc + c[i]·q[i] + c[i + 8]·q[i + 8] in int16 lane i. The upper half first: <c>GetLower</c> as the codes' last
    /// use lets the JIT read their register in place instead of copying it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<short> MulAdd(Vector128<short> acc, Vector128<sbyte> c, Vector128<sbyte> q) =>
        AdvSimd.MultiplyWideningLowerAndAdd(AdvSimd.MultiplyWideningUpperAndAdd(acc, c, q), c.GetLower(), q.GetLower());
}
