using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tern.Kernels.X86;

/// <summary>Horizontal sums of 256-bit int32 accumulators, shared by the AVX2 and AVX-VNNI kernels.</summary>
internal static unsafe class Reduce256
{
    /// <summary>[Σv0, Σv1, Σv2, Σv3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Four(Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3)
    {
        var h01 = Ssse3.HorizontalAdd(v0.GetLower() + v0.GetUpper(), v1.GetLower() + v1.GetUpper());
        var h23 = Ssse3.HorizontalAdd(v2.GetLower() + v2.GetUpper(), v3.GetLower() + v3.GetUpper());
        return Ssse3.HorizontalAdd(h01, h23);
    }

    /// <summary>f[0] = Σv0, f[1] = Σv1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Two(Vector256<int> v0, Vector256<int> v1, int* f)
    {
        var h = Ssse3.HorizontalAdd(v0.GetLower() + v0.GetUpper(), v1.GetLower() + v1.GetUpper()); // [v0 01, v0 23, v1 01, v1 23]
        h = Ssse3.HorizontalAdd(h, h);
        f[0] = h.ToScalar();
        f[1] = h.GetElement(1);
    }
}
