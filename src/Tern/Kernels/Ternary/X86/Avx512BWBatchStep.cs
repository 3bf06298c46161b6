using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ISA = System.Runtime.Intrinsics.X86.Avx512BW;
using V = System.Runtime.Intrinsics.Vector512;

namespace Tern.Kernels.X86;

/// <summary>
/// The AVX-512BW small-batch step: <see cref="Avx512BWMatVecStep"/>'s arithmetic split into decoding one 64-byte
/// chunk into four code planes (shift + and, once per row) and the four multiply-adds per token (|lane| ≤ 4 · 768
/// per step, 10 steps per widening). Each token's activations are permuted as the mat-vec permutes them.
/// </summary>
internal unsafe struct Avx512BWBatchStep : IBatchStep<Avx512BWBatchStep.Planes, Vector512<short>, Vector512<int>>
{
    /// <summary>The four code planes of one chunk (plane s: values 32s + m of both halves).</summary>
    public struct Planes
    {
        public Vector512<byte> P0, P1, P2, P3;
    }

    public static int Values => 256;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 4;
    public static bool Prefetch => true;

    public static sbyte* Arrange(sbyte* q, int k, int n)
    {
        var pq = (sbyte*)KernelScratch.Activations((long)n * k);
        for (int t = 0; t < n; t++) Avx512BWMatVecStep.Permute(q + (long)t * k, k, pq + (long)t * k);
        return pq;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Planes Decode<L>(byte* c) where L : struct, ITwoBitLayout
    {
        var m3 = V.Create((byte)3);
        var v = V.Load(c);
        return new Planes { P0 = Plane(v, L.Shift(0), m3), P1 = Plane(v, L.Shift(1), m3), P2 = Plane(v, L.Shift(2), m3), P3 = Plane(v, L.Shift(3), m3) };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Plane(Vector512<byte> x, byte shift, Vector512<byte> m3) =>
        (shift == 0 ? x : V.ShiftRightLogical(x.AsUInt16(), shift).AsByte()) & m3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref Vector512<short> acc, in Planes p, sbyte* x) =>
        acc += (ISA.MultiplyAddAdjacent(p.P0, V.Load(x)) + ISA.MultiplyAddAdjacent(p.P1, V.Load(x + 64)))
             + (ISA.MultiplyAddAdjacent(p.P2, V.Load(x + 128)) + ISA.MultiplyAddAdjacent(p.P3, V.Load(x + 192)));

    public static bool PairRows => true;

    /// <summary>Two rows against one token: four activation loads serve eight multiply-adds (30 of the 32 registers with 2 × 8 accumulators).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddPair(ref Vector512<short> a, ref Vector512<short> b, in Planes pa, in Planes pb, sbyte* x)
    {
        var q0 = V.Load(x);
        var q1 = V.Load(x + 64);
        var q2 = V.Load(x + 128);
        var q3 = V.Load(x + 192);
        a += (ISA.MultiplyAddAdjacent(pa.P0, q0) + ISA.MultiplyAddAdjacent(pa.P1, q1)) + (ISA.MultiplyAddAdjacent(pa.P2, q2) + ISA.MultiplyAddAdjacent(pa.P3, q3));
        b += (ISA.MultiplyAddAdjacent(pb.P0, q0) + ISA.MultiplyAddAdjacent(pb.P1, q1)) + (ISA.MultiplyAddAdjacent(pb.P2, q2) + ISA.MultiplyAddAdjacent(pb.P3, q3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector512<int> sum, Vector512<short> acc) => Avx512BWMatVecStep.Widen(ref sum, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector512<int> s) => V.Sum(s);

    public static int Tail(byte* c, sbyte* x) => Avx512BWMatVecStep.Tail(c, x);
}
