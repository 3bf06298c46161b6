using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ISA = System.Runtime.Intrinsics.X86.Avx512BW;
using V = System.Runtime.Intrinsics.Vector512;

namespace Tern.Kernels.X86;

/// <summary>
/// The AVX-512BW mat-vec step: one 64-byte load covers a 256-value chunk (two 128-value halves); shift + and give
/// four vectors of codes, plane s holding values 32s + m of the first half in lanes 0–31 and of the second half in
/// lanes 32–63. The activations are permuted once per call into that order (<see cref="Arrange"/>), so the step is
/// load, shift, and, multiply-add — four planes' multiply-adds into one int16 accumulator (|lane| ≤ 4 · 768 per
/// step, so 10 steps per widening).
/// </summary>
internal unsafe struct Avx512BWMatVecStep : IMatVecStep<Avx512BWMatVecStep.Activations, Vector512<short>, Vector512<int>>
{
    /// <summary>The four permuted activation vectors of one chunk, shared by the four rows of a tile.</summary>
    public struct Activations
    {
        public Vector512<sbyte> Q0, Q1, Q2, Q3;
    }

    public static int Values => 256;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 4; // each step adds 4 multiply-add results to a lane
    public static bool Prefetch => true;

    /// <summary>
    /// Chunk g (256 values) of the permuted activations: plane s (64 bytes at 256g + 64s) = q[256g + 32s, +32) then
    /// q[256g + 128 + 32s, +32). A final 128-value half (I2_S with K mod 256 = 128) stays in natural order.
    /// </summary>
    public static sbyte* Arrange(sbyte* q, int k)
    {
        var pq = (sbyte*)KernelScratch.Activations(k);
        Permute(q, k, pq);
        return pq;
    }

    /// <summary>One token's activations q[0, k) permuted into pq as <see cref="Arrange"/> describes.</summary>
    public static void Permute(sbyte* q, int k, sbyte* pq)
    {
        int g = 0;
        for (; g + 256 <= k; g += 256)
            for (int s = 0; s < 4; s++)
            {
                Vector256.Load(q + g + 32 * s).Store(pq + g + 64 * s);
                Vector256.Load(q + g + 128 + 32 * s).Store(pq + g + 64 * s + 32);
            }
        for (int i = g; i < k; i += 32) Vector256.Load(q + i).Store(pq + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Activations Load(sbyte* x) => new() { Q0 = V.Load(x), Q1 = V.Load(x + 64), Q2 = V.Load(x + 128), Q3 = V.Load(x + 192) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<L>(ref Vector512<short> acc, byte* c, in Activations x) where L : struct, ITwoBitLayout
    {
        var m3 = V.Create((byte)3);
        var v = V.Load(c);
        var p0 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(0), m3), x.Q0);
        var p1 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(1), m3), x.Q1);
        var p2 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(2), m3), x.Q2);
        var p3 = ISA.MultiplyAddAdjacent(Plane(v, L.Shift(3), m3), x.Q3);
        acc += (p0 + p1) + (p2 + p3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Plane(Vector512<byte> x, byte shift, Vector512<byte> m3) =>
        (shift == 0 ? x : V.ShiftRightLogical(x.AsUInt16(), shift).AsByte()) & m3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector512<int> sum, Vector512<short> acc) => sum += ISA.MultiplyAddAdjacent(acc, V.Create((short)1));

    /// <summary>The four lane sums of four vectors, as one Vector128 [Σv0, Σv1, Σv2, Σv3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Reduce4(Vector512<int> v0, Vector512<int> v1, Vector512<int> v2, Vector512<int> v3)
    {
        // 128-bit lanes 0–1 of x01 hold v0's two 256-bit halves added, lanes 2–3 v1's.
        var x01 = V.Create(v0.GetLower(), v1.GetLower()) + Avx512F.Shuffle4x128(v0, v1, 0xEE);
        var x23 = V.Create(v2.GetLower(), v3.GetLower()) + Avx512F.Shuffle4x128(v2, v3, 0xEE);
        // 128-bit lane g of y holds v_g's four partial sums.
        var y = Avx512F.Shuffle4x128(x01, x23, 0x88) + Avx512F.Shuffle4x128(x01, x23, 0xDD);
        y += Avx512F.Shuffle(y, 0b01_00_11_10);
        y += Avx512F.Shuffle(y, 0b10_11_00_01);
        return Avx512F.PermuteVar16x32(y, V.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower().GetLower();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector512<int> s) => V.Sum(s);

    /// <summary>Σ c·q over a final I2_S half (32 bytes, 128 values; activations in natural order).</summary>
    public static int Tail(byte* c, sbyte* x)
    {
        var v = Vector256.Load(c).AsUInt16();
        var m3 = Vector256.Create((byte)3);
        var acc = Avx2.MultiplyAddAdjacent((v >> 6).AsByte() & m3, Vector256.Load(x))
                + Avx2.MultiplyAddAdjacent((v >> 4).AsByte() & m3, Vector256.Load(x + 32))
                + Avx2.MultiplyAddAdjacent((v >> 2).AsByte() & m3, Vector256.Load(x + 64))
                + Avx2.MultiplyAddAdjacent(v.AsByte() & m3, Vector256.Load(x + 96));
        return Vector256.Sum(Avx2.MultiplyAddAdjacent(acc, Vector256.Create((short)1)));
    }
}
