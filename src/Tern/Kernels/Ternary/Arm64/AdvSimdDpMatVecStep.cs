using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Tern.Kernels.Arm64;

/// <summary>
/// The <c>sdot</c> mat-vec step: one 128-value half block (two 16-byte pieces) per step, activations loaded once per
/// step for the four rows (<see cref="Activations128"/>).
/// <para><b>Planes masked in place.</b> A plane at bit shift 2j is not shifted down: <c>v &amp; (3 &lt;&lt; 2j)</c> is
/// c · 4ʲ, at most 48 — still a non-negative signed byte, so <c>sdot</c> takes it as is — and goes into an accumulator
/// of its own that therefore holds 4ʲ · Σ c·q exactly; an arithmetic shift by 2j at widening recovers Σ c·q. The planes
/// at shift 0 (<c>and</c>) and shift 6 (<c>ushr</c>, nothing above it) are unscaled and share one accumulator. One
/// instruction per plane instead of two; three int32 accumulators per row.</para>
/// <para><b>Exactness.</b> Per step an accumulator lane gains at most 2 · 4 · 48 · 128 = 49 152 (the ×16 one), so 1024
/// steps per widening stay below 2³¹ for any K.</para>
/// </summary>
internal unsafe struct AdvSimdDpMatVecStep : IMatVecStep<Activations128, AdvSimdDpMatVecStep.Accumulators, Vector128<int>>
{
    /// <summary>A row's int32 accumulators by plane scale: planes at shift 0 and 6, at shift 2 (×4), at shift 4 (×16).</summary>
    public struct Accumulators
    {
        public Vector128<int> Unscaled, Times4, Times16;
    }

    public static int Values => 128;
    public static int StepsPerWiden => 1024;
    public static bool Prefetch => false;

    public static sbyte* Arrange(sbyte* q, int k) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Activations128 Load(sbyte* x) => Activations128.Load(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<L>(ref Accumulators acc, byte* c, in Activations128 x) where L : struct, ITwoBitLayout
    {
        var v = Vector128.Load(c);
        Plane(ref acc, v, L.Shift(0), x.Q0);
        Plane(ref acc, v, L.Shift(1), x.Q2);
        Plane(ref acc, v, L.Shift(2), x.Q4);
        Plane(ref acc, v, L.Shift(3), x.Q6);
        v = Vector128.Load(c + 16);
        Plane(ref acc, v, L.Shift(0), x.Q1);
        Plane(ref acc, v, L.Shift(1), x.Q3);
        Plane(ref acc, v, L.Shift(2), x.Q5);
        Plane(ref acc, v, L.Shift(3), x.Q7);
    }

    /// <summary>The plane at <paramref name="shift"/> of <paramref name="v"/> times <paramref name="q"/>, into the accumulator of its scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Plane(ref Accumulators acc, Vector128<byte> v, byte shift, Vector128<sbyte> q)
    {
        switch (shift)
        {
            case 0: acc.Unscaled = Dp.DotProduct(acc.Unscaled, (v & Vector128.Create((byte)0x03)).AsSByte(), q); break;
            case 2: acc.Times4 = Dp.DotProduct(acc.Times4, (v & Vector128.Create((byte)0x0C)).AsSByte(), q); break;
            case 4: acc.Times16 = Dp.DotProduct(acc.Times16, (v & Vector128.Create((byte)0x30)).AsSByte(), q); break;
            default: acc.Unscaled = Dp.DotProduct(acc.Unscaled, AdvSimd.ShiftRightLogical(v, 6).AsSByte(), q); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector128<int> sum, Accumulators acc) =>
        sum += acc.Unscaled + AdvSimd.ShiftRightArithmetic(acc.Times4, 2) + AdvSimd.ShiftRightArithmetic(acc.Times16, 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Reduce4(Vector128<int> s0, Vector128<int> s1, Vector128<int> s2, Vector128<int> s3) => AdvSimdPlanes.Sum4(s0, s1, s2, s3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector128<int> s) => Vector128.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
