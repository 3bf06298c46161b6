using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Gguf;

namespace Tern.Kernels;

/// <summary>
/// The one-token product of every 2-bit kernel (I2_S, TQ2_0), written once over an ISA's <see cref="IMatVecStep{TX,
/// TAcc, TSum}"/>: four rows per iteration share each step's activations; int16 accumulators are widened every
/// <c>StepsPerWiden</c> steps ("segments"); each row is prefetched <see cref="KernelTuning.MatVecPrefetchBytes"/>
/// ahead once per 256-value chunk; the codes-to-trits correction Σ T·q = Σ c·q − Σ q is applied once per row; the
/// last rows (fewer than four) run one at a time.
/// </summary>
internal static unsafe class MatVecDriver
{
    /// <summary>
    /// dots[r − row0] = Σ T[r, ·]·q for r in [row0, row1); false (nothing done) when <paramref name="w"/> is not a
    /// 2-bit type (TQ1_0 has its own loops).
    /// </summary>
    public static bool Run<S, TX, TAcc, TSum>(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots)
        where S : struct, IMatVecStep<TX, TAcc, TSum> where TX : struct where TAcc : struct where TSum : struct
    {
        int k = w.Cols;
        switch (w.Type)
        {
            case GgmlType.I2_S:
                Rows<I2SLayout, S, TX, TAcc, TSum>(w.Data + row0 * I2SLayout.RowBytes(k), row1 - row0, k, S.Arrange(q, k), TernaryCodes.Sum(q, k), dots);
                return true;
            case GgmlType.TQ2_0:
                Rows<TQ2Layout, S, TX, TAcc, TSum>(w.Data + row0 * TQ2Layout.RowBytes(k), row1 - row0, k, S.Arrange(q, k), TernaryCodes.Sum(q, k), dots);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Bytes from step <paramref name="s"/> to the next: a chunk, or for 128-value steps 32 after a first half and
    /// the rest of the chunk after a second (a constant 32 when chunks are 64 bytes, I2_S).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int StepBytes<L>(int s, int values) where L : struct, ITwoBitLayout =>
        values == 256 ? L.ChunkBytes : L.ChunkBytes == 64 || (s & 1) == 0 ? 32 : L.ChunkBytes - 32;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Rows<L, S, TX, TAcc, TSum>(byte* w, int rows, int k, sbyte* x, int sumq, int* dots)
        where L : struct, ITwoBitLayout where S : struct, IMatVecStep<TX, TAcc, TSum> where TX : struct where TAcc : struct where TSum : struct
    {
        long rb = L.RowBytes(k);
        int steps = k / S.Values, perWiden = S.StepsPerWiden;
        bool tail = k % S.Values != 0; // only I2_S with 256-value steps: K mod 256 = 128
        long rb3 = 3 * rb, tile = 4 * rb;
        long pf = (KernelTuning.MatVecPrefetchBytes + tile - 1) / tile * tile;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            // The step's codes (row r's; rows r + 1..3 at + rb, 2rb, 3rb) and activations, advanced per step.
            byte* c = w + r * rb, row = c, ahead = c + pf;
            sbyte* xg = x;
            TSum s0 = default, s1 = default, s2 = default, s3 = default;
            for (int g0 = 0; g0 < steps; g0 += perWiden)
            {
                int g1 = Math.Min(g0 + perWiden, steps);
                TAcc a0 = default, a1 = default, a2 = default, a3 = default;
                for (int g = g0; g < g1; g++)
                {
                    // Four lines per 256-value chunk (a step is a whole chunk or its first half), into L2 (T1): the
                    // L1 hint held far fewer lines in flight from DRAM (Zen 4, 40 MB of rows: ~31 → 40–67 GMAC/s at 1
                    // thread, AVX2 and AVX-512; the distance mattered little). The tile's four rows are contiguous, so
                    // the lines are taken pf ahead in address order, four times as fast as a row is read: one stream
                    // rather than four a row apart, which DRAM served slower (see F16Dot.PrefetchHalves).
                    if (S.Prefetch && Sse.IsSupported && (S.Values == 256 || (g & 1) == 0))
                    {
                        byte* f = ahead + 4 * (c - row);
                        Sse.Prefetch1(f);
                        Sse.Prefetch1(f + 64);
                        Sse.Prefetch1(f + 128);
                        Sse.Prefetch1(f + 192);
                    }
                    var xs = S.Load(xg);
                    S.Add<L>(ref a0, c, xs);
                    S.Add<L>(ref a1, c + rb, xs);
                    S.Add<L>(ref a2, c + 2 * rb, xs);
                    S.Add<L>(ref a3, c + rb3, xs);
                    c += StepBytes<L>(g, S.Values);
                    xg += S.Values;
                }
                S.Widen(ref s0, a0);
                S.Widen(ref s1, a1);
                S.Widen(ref s2, a2);
                S.Widen(ref s3, a3);
            }
            var sums = S.Reduce4(s0, s1, s2, s3) - Vector128.Create(sumq);
            if (tail) // c and xg are at the last half
                sums += Vector128.Create(S.Tail(c, xg), S.Tail(c + rb, xg), S.Tail(c + 2 * rb, xg), S.Tail(c + rb3, xg));
            sums.Store(dots + r);
        }
        for (; r < rows; r++)
        {
            byte* c = w + r * rb;
            sbyte* xg = x;
            TSum s0 = default;
            for (int g0 = 0; g0 < steps; g0 += perWiden)
            {
                int g1 = Math.Min(g0 + perWiden, steps);
                TAcc a0 = default;
                for (int g = g0; g < g1; g++)
                {
                    S.Add<L>(ref a0, c, S.Load(xg));
                    c += StepBytes<L>(g, S.Values);
                    xg += S.Values;
                }
                S.Widen(ref s0, a0);
            }
            int sum = S.Reduce(s0) - sumq;
            if (tail) sum += S.Tail(c, xg);
            dots[r] = sum;
        }
    }
}
