using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector128;

namespace Tern.Kernels.Portable;

/// <summary>
/// The two operations of the 128-bit kernels that an ISA may do in one instruction: the code × activation
/// multiply-add into int16 lanes and the widening to int32. <see cref="PortableMultiplyAdd"/> is the cross-platform
/// form; x86's <c>pmaddubsw</c>/<c>pmaddwd</c> live in <see cref="X86.Ssse3MultiplyAdd"/>.
/// </summary>
internal interface IMultiplyAdd128
{
    /// <summary>int16 lanes whose total is Σ c·q over the 16 bytes, each |lane| ≤ 2 · 3 · 128.</summary>
    static abstract Vector128<short> MulAdd(Vector128<byte> c, Vector128<sbyte> q);

    /// <summary>int16 lanes to int32 lanes with the same total.</summary>
    static abstract Vector128<int> Widen(Vector128<short> a);
}

/// <summary>
/// <see cref="IMultiplyAdd128"/> with the <see cref="Vector128"/> API only: both operands widened to int16, lane i
/// added to lane i + 8 (where <c>pmaddubsw</c> adds 2i to 2i + 1) — the same total with the same per-lane bound, so
/// every kernel built on either returns the same sums.
/// </summary>
internal struct PortableMultiplyAdd : IMultiplyAdd128
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<short> MulAdd(Vector128<byte> c, Vector128<sbyte> q) =>
        V.WidenLower(c).AsInt16() * V.WidenLower(q) + V.WidenUpper(c).AsInt16() * V.WidenUpper(q);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Widen(Vector128<short> a) => V.WidenLower(a) + V.WidenUpper(a);
}
