using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Gguf;
using ISA = System.Runtime.Intrinsics.X86.AvxVnni;
using V = System.Runtime.Intrinsics.Vector256;

namespace Tern.Kernels.X86;

/// <summary>
/// Ternary dots with AVX-VNNI <c>vpdpbusd</c> on 256-bit vectors: 32 unsigned codes × 32 int8 activations, summed four
/// at a time straight into int32 lanes (Intel since Alder Lake / Sapphire Rapids; Zen 4 has only the EVEX form, which
/// .NET 10 does not expose). Codes c = T + 1 and Σ T·q = Σ c·q − Σ q as in <see cref="Avx512BWKernel"/>, but there is
/// no int16 stage: an int32 lane gains at most 4 · 3 · 128 per instruction, so it is exact for any K below 2²⁰.
/// <para><b>Mat-vec (I2_S, TQ2_0):</b> a 32-byte load is a 128-value half block; its four planes are masked in place
/// (no shifts, see <see cref="MatVecRows{L}"/>), activations in natural order, two rows per iteration, rows prefetched
/// ahead.</para>
/// <para>This mat-vec keeps a loop of its own rather than <see cref="MatVecDriver"/>'s: int32 accumulators per plane
/// (no widening segments) and two rows per iteration, which fit the 16 VEX registers.</para>
/// <para><b>Mat-mat:</b> <see cref="AvxVnniTiles"/> in <see cref="PanelMatMul"/>: 4 rows × 4 tokens where AVX-512 gives
/// the JIT 32 registers, else 2 rows × 6 tokens; whole blocks by table lookup (<see cref="LookupMatMul{W}"/>: 32 tokens with AVX-512BW, else 16).</para>
/// </summary>
public sealed unsafe class AvxVnniKernel : TernaryKernelBase
{
    public static readonly AvxVnniKernel Instance = new();

    public static bool IsSupported => ISA.IsSupported && Avx2.IsSupported;

    public override string Name => "avxvnni";

    public override bool Supports(TernaryMatrix w) => TernaryRows.Supported(w) && w.Cols < 1 << 20;

    /// <summary>With AVX-512 present the JIT encodes these instructions as EVEX and has 32 registers (see <see cref="AvxVnniTiles.Wide"/>).</summary>
    private static readonly bool WideTiles = Avx512F.IsSupported;

    private protected override void MatVec(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots)
    {
        int k = w.Cols, sumq = TernaryCodes.Sum(q, k);
        if (w.Type == GgmlType.I2_S) MatVecRows<I2SLayout>(w.Data + row0 * I2SLayout.RowBytes(k), row1 - row0, k, q, sumq, dots);
        else if (w.Type == GgmlType.TQ2_0) MatVecRows<TQ2Layout>(w.Data + row0 * TQ2Layout.RowBytes(k), row1 - row0, k, q, sumq, dots);
        else TQ1MatVec256.Rows(w.Data + row0 * TernaryRows.RowBytes(w), row1 - row0, k, q, sumq, dots);
    }

    /// <summary>
    /// Whole blocks by table lookup where it applies (<see cref="LookupMatMul{W}"/>: 32 tokens with AVX-512BW, else 16),
    /// a last single token to the mat-vec (<see cref="TernaryKernelBase.AfterLookup"/>), the rest by tiles.
    /// </summary>
    private protected override void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride)
    {
        int done = Avx512BW.IsSupported
            ? LookupMatMul<Lookup512>.Run(w, row0, row1, q, n, dots, stride, Tiles)
            : LookupMatMul<Lookup256>.Run(w, row0, row1, q, n, dots, stride, Tiles);
        AfterLookup(w, row0, row1, q, n, dots, stride, done, Tiles);
    }

    /// <summary>
    /// The rescaled output: whole blocks by table lookup with the rescale fused into its store (no int dots in memory),
    /// everything else through the dots.
    /// </summary>
    public override void ScaledDots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, float extra, Span<float> y, int yStride)
    {
        if (!Supports(w)) throw new NotSupportedException($"{Name} cannot run {w}");
        if (Avx512BW.IsSupported) LookupMatMul<Lookup512>.ScaledDots(this, w, row0, row1, q, n, a, extra, y, yStride, Tiles);
        else LookupMatMul<Lookup256>.ScaledDots(this, w, row0, row1, q, n, a, extra, y, yStride, Tiles);
    }

    private static delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> Tiles =>
        WideTiles ? &PanelMatMul.Run<AvxVnniTiles.Wide> : &PanelMatMul.Run<AvxVnniTiles.Narrow>;

    /// <summary>
    /// Mat-vec without shifts: plane s is masked in place, <c>x &amp; (3 &lt;&lt; shift)</c> = c · 2^shift, and multiplied
    /// into its own int32 accumulator, which therefore holds 2^shift · Σ c·q exactly; an arithmetic shift right by
    /// <c>shift</c> recovers Σ c·q. Codes up to 3 · 64 = 192 stay below 256, and a lane gains at most 4 · 192 · 128 per
    /// instruction: exact for K &lt; 2²⁰. 4 and + 4 multiply-adds per 128 values and row, two rows per iteration.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MatVecRows<L>(byte* w, int rows, int k, sbyte* q, int sumq, int* dots) where L : struct, ITwoBitLayout
    {
        long rb = L.RowBytes(k);
        int halves = k / 128;
        long tile = 2 * rb;
        long pf = (KernelTuning.MatVecPrefetchBytes + tile - 1) / tile * tile;
        var m0 = V.Create((byte)(3 << L.Shift(0)));
        var m1 = V.Create((byte)(3 << L.Shift(1)));
        var m2 = V.Create((byte)(3 << L.Shift(2)));
        var m3 = V.Create((byte)(3 << L.Shift(3)));
        int r = 0;
        for (; r < rows; r += 2)
        {
            // An odd last row runs as a pair with itself; only its first copy is stored.
            byte* p = w + r * rb;
            long rb1 = r + 1 < rows ? rb : 0;
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            for (int h = 0; h < halves; h++)
            {
                byte* c = p + (h >> 1) * L.ChunkBytes + (h & 1) * 32;
                if ((h & 1) == 0)
                {
                    Sse.Prefetch0(c + pf);
                    Sse.Prefetch0(c + rb + pf);
                }
                sbyte* x = q + h * 128;
                var q0 = V.Load(x);
                var q1 = V.Load(x + 32);
                var q2 = V.Load(x + 64);
                var q3 = V.Load(x + 96);
                var v = V.Load(c);
                a0 = ISA.MultiplyWideningAndAdd(a0, v & m0, q0);
                a1 = ISA.MultiplyWideningAndAdd(a1, v & m1, q1);
                a2 = ISA.MultiplyWideningAndAdd(a2, v & m2, q2);
                a3 = ISA.MultiplyWideningAndAdd(a3, v & m3, q3);
                v = V.Load(c + rb1);
                b0 = ISA.MultiplyWideningAndAdd(b0, v & m0, q0);
                b1 = ISA.MultiplyWideningAndAdd(b1, v & m1, q1);
                b2 = ISA.MultiplyWideningAndAdd(b2, v & m2, q2);
                b3 = ISA.MultiplyWideningAndAdd(b3, v & m3, q3);
            }
            var sa = V.ShiftRightArithmetic(a0, L.Shift(0)) + V.ShiftRightArithmetic(a1, L.Shift(1)) + V.ShiftRightArithmetic(a2, L.Shift(2)) + V.ShiftRightArithmetic(a3, L.Shift(3));
            var sb = V.ShiftRightArithmetic(b0, L.Shift(0)) + V.ShiftRightArithmetic(b1, L.Shift(1)) + V.ShiftRightArithmetic(b2, L.Shift(2)) + V.ShiftRightArithmetic(b3, L.Shift(3));
            var sums = Reduce256.Four(sa, sb, sa, sb);
            dots[r] = sums.ToScalar() - sumq;
            if (r + 1 < rows) dots[r + 1] = sums.GetElement(1) - sumq;
        }
    }
}
