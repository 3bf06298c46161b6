using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ISA = System.Runtime.Intrinsics.X86.Avx2;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// The AVX2 mat-vec step: one 128-value half block (32 bytes, four planes of 32 values), activations in natural order.
/// A half rather than a whole chunk keeps its four activation vectors, the tile's four accumulators and the
/// temporaries within the 16 registers of the VEX encoding (a whole chunk's eight activation vectors spilled).
/// <para><b>One shift per 32 bytes instead of three.</b> Of a byte's four 2-bit fields, the two at bits 0–1 and 2–3
/// come from the byte itself (<c>v &amp; 3</c>, <c>v &amp; 12</c>) and the two at bits 4–5 and 6–7 from one 16-bit
/// shift by 4 (<c>t &amp; 3</c>, <c>t &amp; 12</c>; the bits the shift carries over from the next byte land above bit
/// 3 and are masked off). The fields masked with 12 are 4c: their multiply-adds are 4·(c₁q₁ + c₂q₂), |·| ≤ 3072, far
/// from <c>vpmaddubsw</c>'s saturation; their sum is a multiple of 4 and |sum| ≤ 6144, so an arithmetic shift by 2
/// divides it exactly. Per 32 bytes: 1 shift + 4 ands + 4 multiply-adds + 4 adds + 1 shift (was 3 + 4 + 4 + 4).</para>
/// Each step adds two multiply-add results and one quarter of two scaled ones to a lane: at most 4 results' worth
/// (|lane| ≤ 4 · 768 per step), so 10 steps per widening.
/// </summary>
internal unsafe struct Avx2MatVecStep : IMatVecStep<Avx2MatVecStep.Activations, Vector256<short>, Vector256<int>>
{
    /// <summary>The activations of one half block, plane s's 32 values in Q[s]; shared by the four rows of a tile.</summary>
    public struct Activations
    {
        public Vector256<sbyte> Q0, Q1, Q2, Q3;
    }

    public static int Values => 128;
    public static int StepsPerWiden => KernelTuning.MaxAddsPerLane / 4;
    public static bool Prefetch => true;

    public static sbyte* Arrange(sbyte* q, int k) => q;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Activations Load(sbyte* x) => new() { Q0 = V.Load(x), Q1 = V.Load(x + 32), Q2 = V.Load(x + 64), Q3 = V.Load(x + 96) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<L>(ref Vector256<short> acc, byte* c, in Activations x) where L : struct, ITwoBitLayout
    {
        var v = V.Load(c);
        var t = V.ShiftRightLogical(v.AsUInt16(), 4).AsByte();
        // The planes at shifts 0 and 4 as they are; the planes at shifts 2 and 6 times 4, summed, then divided by 4.
        // (The masks are written in place, not held in locals: locals made the JIT copy them once per row.)
        var scaled = ISA.MultiplyAddAdjacent(v & V.Create((byte)12), Q<L>(2, x)) + ISA.MultiplyAddAdjacent(t & V.Create((byte)12), Q<L>(6, x));
        acc += ISA.MultiplyAddAdjacent(v & V.Create((byte)3), Q<L>(0, x));
        acc += ISA.MultiplyAddAdjacent(t & V.Create((byte)3), Q<L>(4, x));
        acc += ISA.ShiftRightArithmetic(scaled, 2);
    }

    /// <summary>The activations of the plane stored at bit <paramref name="shift"/> (a JIT constant per layout).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Q<L>(int shift, in Activations x) where L : struct, ITwoBitLayout =>
        L.Shift(0) == shift ? x.Q0 : L.Shift(1) == shift ? x.Q1 : L.Shift(2) == shift ? x.Q2 : x.Q3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ref Vector256<int> sum, Vector256<short> acc) => sum += ISA.MultiplyAddAdjacent(acc, V.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Reduce4(Vector256<int> s0, Vector256<int> s1, Vector256<int> s2, Vector256<int> s3) => Reduce256.Four(s0, s1, s2, s3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(Vector256<int> s) => V.Sum(s);

    public static int Tail(byte* c, sbyte* x) => throw new NotSupportedException("128-value steps leave no tail");
}
