using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Kernels.Portable;

namespace Tern.Kernels.X86;

/// <summary><see cref="IMultiplyAdd128"/> in single SSSE3/SSE2 instructions: <c>pmaddubsw</c>, and <c>pmaddwd</c> by ones.</summary>
internal struct Ssse3MultiplyAdd : IMultiplyAdd128
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<short> MulAdd(Vector128<byte> c, Vector128<sbyte> q) => Ssse3.MultiplyAddAdjacent(c, q);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Widen(Vector128<short> a) => Sse2.MultiplyAddAdjacent(a, Vector128.Create((short)1));
}
