using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels.Arm64;

/// <summary>
/// The activations of one 128-value step in natural order, loaded once and shared by the four rows of a mat-vec tile:
/// <c>Q[i] = x[16i, 16i + 16)</c>, so plane s of the half block's byte piece p (bytes 16p..16p + 15) pairs with
/// <c>Q[2s + p]</c>.
/// </summary>
internal unsafe struct Activations128
{
    public Vector128<sbyte> Q0, Q1, Q2, Q3, Q4, Q5, Q6, Q7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Activations128 Load(sbyte* x) => new()
    {
        Q0 = Vector128.Load(x), Q1 = Vector128.Load(x + 16), Q2 = Vector128.Load(x + 32), Q3 = Vector128.Load(x + 48),
        Q4 = Vector128.Load(x + 64), Q5 = Vector128.Load(x + 80), Q6 = Vector128.Load(x + 96), Q7 = Vector128.Load(x + 112),
    };
}
