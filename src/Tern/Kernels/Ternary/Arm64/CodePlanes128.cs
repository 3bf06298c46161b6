using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels.Arm64;

/// <summary>
/// One 128-value half block decoded into its eight code planes (0..3 per byte, <see cref="AdvSimdPlanes.Codes"/>),
/// once per row, for the small-batch steps: plane s of byte piece p (values 32s + 16p + m) in P[2s + p], matching the
/// activations x[16(2s + p), +16).
/// </summary>
internal unsafe struct CodePlanes128
{
    public Vector128<sbyte> P0, P1, P2, P3, P4, P5, P6, P7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CodePlanes128 Decode<L>(byte* c) where L : struct, ITwoBitLayout
    {
        var lo = Vector128.Load(c);
        var hi = Vector128.Load(c + 16);
        return new CodePlanes128
        {
            P0 = AdvSimdPlanes.Codes(lo, L.Shift(0)), P2 = AdvSimdPlanes.Codes(lo, L.Shift(1)), P4 = AdvSimdPlanes.Codes(lo, L.Shift(2)), P6 = AdvSimdPlanes.Codes(lo, L.Shift(3)),
            P1 = AdvSimdPlanes.Codes(hi, L.Shift(0)), P3 = AdvSimdPlanes.Codes(hi, L.Shift(1)), P5 = AdvSimdPlanes.Codes(hi, L.Shift(2)), P7 = AdvSimdPlanes.Codes(hi, L.Shift(3)),
        };
    }
}
