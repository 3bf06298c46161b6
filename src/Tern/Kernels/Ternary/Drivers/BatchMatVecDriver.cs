using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Tern.Gguf;

namespace Tern.Kernels;

/// <summary>
/// Small batches (2 to <see cref="MaxTokens"/> tokens: decode steps of concurrent streams, speculative verification)
/// at mat-vec cost in memory: each weight step is read once, straight from the file as the mat-vec reads it
/// (prefetched, no unpacked panel), decoded once per row, and multiplied into every token. Written once over an ISA's
/// <see cref="IBatchStep{TPlanes, TAcc, TSum}"/>, specialized per batch size (<see cref="ITokenCount"/>) so each
/// token's accumulators live in registers.
/// </summary>
internal static unsafe class BatchMatVecDriver
{
    public const int MaxTokens = 8;

    /// <summary>
    /// dots[t·stride + (r − row0)] for 2 ≤ n ≤ <see cref="MaxSplitTokens"/> on a 2-bit type; false (nothing done) otherwise.
    /// </summary>
    public static bool Run<S, TP, TAcc, TSum>(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride)
        where S : struct, IBatchStep<TP, TAcc, TSum> where TP : struct where TAcc : struct where TSum : struct
    {
        if (n < 2 || n > MaxSplitTokens || w.Type is not (GgmlType.I2_S or GgmlType.TQ2_0)) return false;
        // Above MaxTokens, near-equal passes of at most MaxTokens each (9 = 5 + 4): the weights are read once per pass.
        int passes = (n + MaxTokens - 1) / MaxTokens;
        for (int t0 = 0, p = 0; p < passes; p++)
        {
            int tn = (n - t0) / (passes - p);
            Pass<S, TP, TAcc, TSum>(w, row0, row1, q + (long)t0 * w.Cols, tn, dots + (long)t0 * stride, stride);
            t0 += tn;
        }
        return true;
    }

    /// <summary>Batches up to this size run here (in passes of at most <see cref="MaxTokens"/>); larger ones go to the mat-mat.</summary>
    public const int MaxSplitTokens = 16;

    private static void Pass<S, TP, TAcc, TSum>(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride)
        where S : struct, IBatchStep<TP, TAcc, TSum> where TP : struct where TAcc : struct where TSum : struct
    {
        int k = w.Cols;
        switch (w.Type)
        {
            case GgmlType.I2_S: ForCount<I2SLayout, S, TP, TAcc, TSum>(w.Data + row0 * I2SLayout.RowBytes(k), row1 - row0, k, q, n, dots, stride); break;
            default: ForCount<TQ2Layout, S, TP, TAcc, TSum>(w.Data + row0 * TQ2Layout.RowBytes(k), row1 - row0, k, q, n, dots, stride); break;
        }
    }

    private static void ForCount<L, S, TP, TAcc, TSum>(byte* w, int rows, int k, sbyte* q, int n, int* dots, int stride)
        where L : struct, ITwoBitLayout where S : struct, IBatchStep<TP, TAcc, TSum> where TP : struct where TAcc : struct where TSum : struct
    {
        int* sumq = stackalloc int[MaxTokens];
        for (int t = 0; t < n; t++) sumq[t] = TernaryCodes.Sum(q + (long)t * k, k);
        sbyte* x = S.Arrange(q, k, n);
        if (S.PairRows)
        {
            switch (n)
            {
                case 2: RowPairs<L, S, TP, TAcc, TSum, Tokens2>(w, rows, k, x, sumq, dots, stride); break;
                case 3: RowPairs<L, S, TP, TAcc, TSum, Tokens3>(w, rows, k, x, sumq, dots, stride); break;
                case 4: RowPairs<L, S, TP, TAcc, TSum, Tokens4>(w, rows, k, x, sumq, dots, stride); break;
                case 5: RowPairs<L, S, TP, TAcc, TSum, Tokens5>(w, rows, k, x, sumq, dots, stride); break;
                case 6: RowPairs<L, S, TP, TAcc, TSum, Tokens6>(w, rows, k, x, sumq, dots, stride); break;
                case 7: RowPairs<L, S, TP, TAcc, TSum, Tokens7>(w, rows, k, x, sumq, dots, stride); break;
                default: RowPairs<L, S, TP, TAcc, TSum, Tokens8>(w, rows, k, x, sumq, dots, stride); break;
            }
            return;
        }
        switch (n)
        {
            case 2: Rows<L, S, TP, TAcc, TSum, Tokens2>(w, rows, k, x, sumq, dots, stride); break;
            case 3: Rows<L, S, TP, TAcc, TSum, Tokens3>(w, rows, k, x, sumq, dots, stride); break;
            case 4: Rows<L, S, TP, TAcc, TSum, Tokens4>(w, rows, k, x, sumq, dots, stride); break;
            case 5: Rows<L, S, TP, TAcc, TSum, Tokens5>(w, rows, k, x, sumq, dots, stride); break;
            case 6: Rows<L, S, TP, TAcc, TSum, Tokens6>(w, rows, k, x, sumq, dots, stride); break;
            case 7: Rows<L, S, TP, TAcc, TSum, Tokens7>(w, rows, k, x, sumq, dots, stride); break;
            default: Rows<L, S, TP, TAcc, TSum, Tokens8>(w, rows, k, x, sumq, dots, stride); break;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Rows<L, S, TP, TAcc, TSum, N>(byte* w, int rows, int k, sbyte* x, int* sumq, int* dots, int stride)
        where L : struct, ITwoBitLayout where S : struct, IBatchStep<TP, TAcc, TSum> where TP : struct where TAcc : struct where TSum : struct
        where N : struct, ITokenCount
    {
        long rb = L.RowBytes(k);
        int steps = k / S.Values, perWiden = S.StepsPerWiden;
        bool tail = k % S.Values != 0; // only I2_S with 256-value steps: K mod 256 = 128
        long pf = (KernelTuning.MatVecPrefetchBytes + rb - 1) / rb * rb;
        // Token t's activations at x + t·k; unused tokens' code folds away (N.Count is a JIT constant).
        sbyte* x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k, x4 = x + 4 * k, x5 = x + 5 * k, x6 = x + 6 * k, x7 = x + 7 * k;
        for (int r = 0; r < rows; r++)
        {
            // The step's codes and the activations' offset in each token, advanced per step.
            byte* c = w + r * rb;
            long o = 0;
            TSum s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (int g0 = 0; g0 < steps; g0 += perWiden)
            {
                int g1 = Math.Min(g0 + perWiden, steps);
                TAcc a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int g = g0; g < g1; g++)
                {
                    if (S.Prefetch && Sse.IsSupported && (S.Values == 256 || (g & 1) == 0)) Sse.Prefetch1(c + pf); // once per 256-value chunk, into L2 (see MatVecDriver)
                    var planes = S.Decode<L>(c);
                    S.Add(ref a0, planes, x + o);
                    S.Add(ref a1, planes, x1 + o);
                    if (N.Count > 2) S.Add(ref a2, planes, x2 + o);
                    if (N.Count > 3) S.Add(ref a3, planes, x3 + o);
                    if (N.Count > 4) S.Add(ref a4, planes, x4 + o);
                    if (N.Count > 5) S.Add(ref a5, planes, x5 + o);
                    if (N.Count > 6) S.Add(ref a6, planes, x6 + o);
                    if (N.Count > 7) S.Add(ref a7, planes, x7 + o);
                    c += MatVecDriver.StepBytes<L>(g, S.Values);
                    o += S.Values;
                }
                S.Widen(ref s0, a0);
                S.Widen(ref s1, a1);
                if (N.Count > 2) S.Widen(ref s2, a2);
                if (N.Count > 3) S.Widen(ref s3, a3);
                if (N.Count > 4) S.Widen(ref s4, a4);
                if (N.Count > 5) S.Widen(ref s5, a5);
                if (N.Count > 6) S.Widen(ref s6, a6);
                if (N.Count > 7) S.Widen(ref s7, a7);
            }
            // c and o are at the last half (a tail when K mod 256 = 128 with 256-value steps).
            Store<S, TP, TAcc, TSum>(dots + r, s0, sumq[0], tail, c, x + o);
            Store<S, TP, TAcc, TSum>(dots + stride + r, s1, sumq[1], tail, c, x1 + o);
            if (N.Count > 2) Store<S, TP, TAcc, TSum>(dots + 2L * stride + r, s2, sumq[2], tail, c, x2 + o);
            if (N.Count > 3) Store<S, TP, TAcc, TSum>(dots + 3L * stride + r, s3, sumq[3], tail, c, x3 + o);
            if (N.Count > 4) Store<S, TP, TAcc, TSum>(dots + 4L * stride + r, s4, sumq[4], tail, c, x4 + o);
            if (N.Count > 5) Store<S, TP, TAcc, TSum>(dots + 5L * stride + r, s5, sumq[5], tail, c, x5 + o);
            if (N.Count > 6) Store<S, TP, TAcc, TSum>(dots + 6L * stride + r, s6, sumq[6], tail, c, x6 + o);
            if (N.Count > 7) Store<S, TP, TAcc, TSum>(dots + 7L * stride + r, s7, sumq[7], tail, c, x7 + o);
        }
    }

    /// <summary>
    /// <see cref="Rows{L, S, TP, TAcc, TSum, N}"/> two rows at a time (<see cref="IBatchStep{TPlanes, TAcc, TSum}.PairRows"/>):
    /// each token's activations are loaded once per step for both rows. The int32 sums live in a small stack array
    /// (touched once per widening), so the registers hold the 2 × N int16 accumulators and both rows' planes. An odd
    /// last row goes through <see cref="Rows{L, S, TP, TAcc, TSum, N}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowPairs<L, S, TP, TAcc, TSum, N>(byte* w, int rows, int k, sbyte* x, int* sumq, int* dots, int stride)
        where L : struct, ITwoBitLayout where S : struct, IBatchStep<TP, TAcc, TSum> where TP : struct where TAcc : struct where TSum : struct
        where N : struct, ITokenCount
    {
        long rb = L.RowBytes(k);
        int steps = k / S.Values, perWiden = S.StepsPerWiden;
        bool tail = k % S.Values != 0;
        long pf = (KernelTuning.MatVecPrefetchBytes + 2 * rb - 1) / (2 * rb) * (2 * rb);
        sbyte* x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k, x4 = x + 4 * k, x5 = x + 5 * k, x6 = x + 6 * k, x7 = x + 7 * k;
        byte* sumBytes = stackalloc byte[2 * MaxTokens * Unsafe.SizeOf<TSum>()];
        ref TSum sa = ref Unsafe.AsRef<TSum>(sumBytes);              // row r's sums, token t at sa[t]
        ref TSum sb = ref Unsafe.Add(ref sa, MaxTokens);             // row r + 1's
        int r = 0;
        for (; r + 2 <= rows; r += 2)
        {
            // The step's codes (row r; row r + 1 at c + rb) and the activations' offset, advanced per step.
            byte* c = w + r * rb, row = c, ahead = c + pf;
            long o = 0;
            for (int t = 0; t < 2 * MaxTokens; t++) Unsafe.Add(ref sa, t) = default;
            for (int g0 = 0; g0 < steps; g0 += perWiden)
            {
                int g1 = Math.Min(g0 + perWiden, steps);
                TAcc a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                TAcc b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
                for (int g = g0; g < g1; g++)
                {
                    if (S.Prefetch && Sse.IsSupported && (S.Values == 256 || (g & 1) == 0)) { byte* f = ahead + 2 * (c - row); Sse.Prefetch1(f); Sse.Prefetch1(f + 64); } // both rows pf ahead in address order, see MatVecDriver
                    var pa = S.Decode<L>(c);
                    var pb = S.Decode<L>(c + rb);
                    S.AddPair(ref a0, ref b0, pa, pb, x + o);
                    S.AddPair(ref a1, ref b1, pa, pb, x1 + o);
                    if (N.Count > 2) S.AddPair(ref a2, ref b2, pa, pb, x2 + o);
                    if (N.Count > 3) S.AddPair(ref a3, ref b3, pa, pb, x3 + o);
                    if (N.Count > 4) S.AddPair(ref a4, ref b4, pa, pb, x4 + o);
                    if (N.Count > 5) S.AddPair(ref a5, ref b5, pa, pb, x5 + o);
                    if (N.Count > 6) S.AddPair(ref a6, ref b6, pa, pb, x6 + o);
                    if (N.Count > 7) S.AddPair(ref a7, ref b7, pa, pb, x7 + o);
                    c += MatVecDriver.StepBytes<L>(g, S.Values);
                    o += S.Values;
                }
                S.Widen(ref sa, a0); S.Widen(ref sb, b0);
                S.Widen(ref Unsafe.Add(ref sa, 1), a1); S.Widen(ref Unsafe.Add(ref sb, 1), b1);
                if (N.Count > 2) { S.Widen(ref Unsafe.Add(ref sa, 2), a2); S.Widen(ref Unsafe.Add(ref sb, 2), b2); }
                if (N.Count > 3) { S.Widen(ref Unsafe.Add(ref sa, 3), a3); S.Widen(ref Unsafe.Add(ref sb, 3), b3); }
                if (N.Count > 4) { S.Widen(ref Unsafe.Add(ref sa, 4), a4); S.Widen(ref Unsafe.Add(ref sb, 4), b4); }
                if (N.Count > 5) { S.Widen(ref Unsafe.Add(ref sa, 5), a5); S.Widen(ref Unsafe.Add(ref sb, 5), b5); }
                if (N.Count > 6) { S.Widen(ref Unsafe.Add(ref sa, 6), a6); S.Widen(ref Unsafe.Add(ref sb, 6), b6); }
                if (N.Count > 7) { S.Widen(ref Unsafe.Add(ref sa, 7), a7); S.Widen(ref Unsafe.Add(ref sb, 7), b7); }
            }
            // c and o are at the last half (a tail when K mod 256 = 128 with 256-value steps).
            for (int t = 0; t < N.Count; t++)
            {
                Store<S, TP, TAcc, TSum>(dots + (long)t * stride + r, Unsafe.Add(ref sa, t), sumq[t], tail, c, x + (long)t * k + o);
                Store<S, TP, TAcc, TSum>(dots + (long)t * stride + r + 1, Unsafe.Add(ref sb, t), sumq[t], tail, c + rb, x + (long)t * k + o);
            }
        }
        if (r < rows) Rows<L, S, TP, TAcc, TSum, N>(w + r * rb, rows - r, k, x, sumq, dots + r, stride);
    }

    /// <summary>*d = Σ lanes − Σ q (+ the tail half's Σ c·q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<S, TP, TAcc, TSum>(int* d, TSum s, int sumq, bool tail, byte* c, sbyte* x)
        where S : struct, IBatchStep<TP, TAcc, TSum> where TP : struct where TAcc : struct where TSum : struct
    {
        int v = S.Reduce(s) - sumq;
        if (tail) v += S.Tail(c, x);
        *d = v;
    }
}
