using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels.Arm64;

/// <summary>
/// The ARM64 small-batch step: one 128-value half block decoded into eight code planes once per row
/// (<see cref="AdvSimdPlanes.Codes"/>, 6 instructions), then eight <typeparamref name="D"/> dot-adds per token into
/// one int32 accumulator. A lane gains at most 8 · 1536 per step, so 1024 steps per widening stay below 2³¹; the
/// "widening" is a plain add. Activations in natural order.
/// </summary>
internal unsafe struct Arm64BatchStep<D> : IBatchStep<Arm64BatchStep<D>.Planes, Vector128<int>, Vector128<int>> where D : struct, IDotAdd128
{
    /// <summary>Plane s of byte piece p (values 32s + 16p + m) in P[2s + p], matching the activations x[16(2s + p), +16).</summary>
    public struct Planes
    {
        public Vector128<sbyte> P0, P1, P2, P3, P4, P5, P6, P7;
    }

    public static int Values => 128;
    public static int StepsPerWiden => 1024;
    public static bool Prefetch => false;

    public static sbyte* Arrange(sbyte* q, int k, int n) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Planes Decode<L>(byte* c) where L : struct, ITwoBitLayout
    {
        var lo = Vector128.Load(c);
        var hi = Vector128.Load(c + 16);
        return new Planes
        {
            P0 = AdvSimdPlanes.Codes(lo, L.Shift(0)), P2 = AdvSimdPlanes.Codes(lo, L.Shift(1)), P4 = AdvSimdPlanes.Codes(lo, L.Shift(2)), P6 = AdvSimdPlanes.Codes(lo, L.Shift(3)),
            P1 = AdvSimdPlanes.Codes(hi, L.Shift(0)), P3 = AdvSimdPlanes.Codes(hi, L.Shift(1)), P5 = AdvSimdPlanes.Codes(hi, L.Shift(2)), P7 = AdvSimdPlanes.Codes(hi, L.Shift(3)),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref Vector128<int> acc, in Planes p, sbyte* x)
    {
        var a = D.DotAdd(acc, p.P0, Vector128.Load(x));
        a = D.DotAdd(a, p.P1, Vector128.Load(x + 16));
        a = D.DotAdd(a, p.P2, Vector128.Load(x + 32));
        a = D.DotAdd(a, p.P3, Vector128.Load(x + 48));
        a = D.DotAdd(a, p.P4, Vector128.Load(x + 64));
        a = D.DotAdd(a, p.P5, Vector128.Load(x + 80));
        a = D.DotAdd(a, p.P6, Vector128.Load(x + 96));
        acc = D.DotAdd(a, p.P7, Vector128.Load(x + 112));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector128<int> sum, Vector128<int> acc) => sum += acc;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector128<int> s) => Vector128.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
