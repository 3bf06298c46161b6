using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ISA = System.Runtime.Intrinsics.X86.Avx2;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// The AVX2 small-batch step: one 128-value half block (32 bytes) decoded into four code planes once per row, then
/// four multiply-adds per token (|lane| ≤ 4 · 768 per step, 10 steps per widening). Half blocks rather than chunks
/// keep the planes in 4 of the 16 registers beside the tokens' accumulators. Activations in natural order.
/// </summary>
internal unsafe struct Avx2BatchStep : IBatchStep<Avx2BatchStep.Planes, Vector256<short>, Vector256<int>>
{
    /// <summary>The four code planes of one half block (plane s: values 32s + m).</summary>
    public struct Planes
    {
        public Vector256<byte> P0, P1, P2, P3;
    }

    public static int Values => 128;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 4;
    public static bool Prefetch => true;

    public static sbyte* Arrange(sbyte* q, int k, int n) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Planes Decode<L>(byte* c) where L : struct, ITwoBitLayout
    {
        var m3 = V.Create((byte)3);
        var v = V.Load(c);
        return new Planes { P0 = Plane(v, L.Shift(0), m3), P1 = Plane(v, L.Shift(1), m3), P2 = Plane(v, L.Shift(2), m3), P3 = Plane(v, L.Shift(3), m3) };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Plane(Vector256<byte> x, byte shift, Vector256<byte> m3) =>
        (shift == 0 ? x : V.ShiftRightLogical(x.AsUInt16(), shift).AsByte()) & m3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref Vector256<short> acc, in Planes p, sbyte* x) =>
        acc += (ISA.MultiplyAddAdjacent(p.P0, V.Load(x)) + ISA.MultiplyAddAdjacent(p.P1, V.Load(x + 32)))
             + (ISA.MultiplyAddAdjacent(p.P2, V.Load(x + 64)) + ISA.MultiplyAddAdjacent(p.P3, V.Load(x + 96)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector256<int> sum, Vector256<short> acc) => sum += ISA.MultiplyAddAdjacent(acc, V.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector256<int> s) => V.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
