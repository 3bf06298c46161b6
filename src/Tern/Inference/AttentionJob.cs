using System.Runtime.Intrinsics;
using Tern.Kernels;
using Tern.Threading;

namespace Tern.Inference;

/// <summary>
/// Causal attention of a batch over each token's own KV cache. One work item is one (KV head, token): the query
/// heads that share that KV head (grouped-query attention) are processed together, so each key and value row is
/// loaded once for all of them. Per query head the arithmetic is fixed — canonical 16-lane dot products, the canonical
/// softmax (<see cref="Softmax"/>), weighted sum in order of position — so results do not depend on batching or threads.
/// </summary>
internal sealed class AttentionJob : IParallelBody
{
    [ThreadStatic] private static float[]? t_scores;
    [ThreadStatic] private static float[]? t_q;
    [ThreadStatic] private static HeadRows? t_rows;
    public ForwardState State = null!;
    public int Layer;
    public float Scale;
    /// <summary>This attention call's number, unique in the process: converted F16 rows are valid only within the call that made them.</summary>
    public long Call;
    private static long s_calls;

    public void NextCall() => Call = Interlocked.Increment(ref s_calls);

    public void Run(int start, int end)
    {
        var s = State;
        var c = s.Config;
        int hd = c.HeadDim, group = c.Heads / c.KvHeads;
        Span<float> four = stackalloc float[4]; // once per call: a stackalloc inside the loop would grow the stack per item
        for (int item = start; item < end; item++)
        {
            // KV-head-major order: each thread's chunk covers whole heads for every token, so causal work is balanced.
            int kvh = item / s.Count, t = item % s.Count;
            var bt = s.Batch[t];
            int n = bt.Position + 1;
            var q = Buffer(ref t_q, group * hd);
            s.Q.AsSpan(t * c.QDim + kvh * group * hd, group * hd).CopyTo(q);
            bool f16 = bt.Cache.Type == KvCacheType.F16;
            if (f16) F16Rounding.Round(q);
            (t_rows ??= new HeadRows()).Read(bt.Cache, Layer, kvh, n, Call, out var keys, out var values);
            var o = s.Attn.AsSpan(t * c.QDim + kvh * group * hd, group * hd);
            if (group == 4 && FloatDot.KeyBlocksSupported(hd) && Scale > 0) Group4(q, keys, values, n, hd, f16, o, four);
            else AnyGroup(q, keys, values, n, hd, group, f16, o, four);
        }
    }

    /// <summary>
    /// Four query heads per KV head on AVX-512: scores by 4 × 4 register tiles (<see cref="FloatDot.DotQueries4Keys4"/>),
    /// the last n mod 4 keys by <see cref="FloatDot.DotQueries4"/>. Score rows are padded to a multiple of 16 with −∞, so
    /// the softmax runs whole vectors only: a padding score becomes e^−∞ = 0 and adds +0 to its lane's sum (never −0), so
    /// the n real weights come out exactly as from the unpadded row. (Scale &gt; 0 keeps −∞ · scale = −∞.)
    /// </summary>
    private void Group4(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int n, int hd, bool f16, Span<float> o, Span<float> four)
    {
        int stride = (n + 15) & ~15;
        var scores = Buffer(ref t_scores, 4 * stride);
        int p = 0;
        for (; p + 4 <= n; p += 4) FloatDot.DotQueries4Keys4(q, keys.Slice(p * hd, 4 * hd), scores, stride, p);
        KeyByKey4(q, keys, p, n, hd, scores, stride, four);
        for (int j = 0; j < 4; j++)
        {
            var row = scores.Slice(j * stride, stride);
            row[n..].Fill(float.NegativeInfinity);
            Softmax.Apply(row, Scale, f16);
        }
        WeightedSums(scores, stride, n, 4, values, hd, o);
    }

    /// <summary>Any group size: blocks of 16 keys per query (the key block stays in L1 across the group), then the rest.</summary>
    private void AnyGroup(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int n, int hd, int group, bool f16, Span<float> o, Span<float> four)
    {
        var scores = Buffer(ref t_scores, group * n);
        int p0 = 0;
        if (FloatDot.KeyBlocksSupported(hd))
            for (; p0 + FloatDot.KeyBlock <= n; p0 += FloatDot.KeyBlock)
                for (int j = 0; j < group; j++)
                    FloatDot.DotKeys16(q.Slice(j * hd, hd), keys.Slice(p0 * hd, FloatDot.KeyBlock * hd), scores.Slice(j * n + p0, FloatDot.KeyBlock));
        if (group == 4) KeyByKey4(q, keys, p0, n, hd, scores, n, four);
        else
        {
            for (int j = 0; j < group; j++)
            {
                var qj = q.Slice(j * hd, hd);
                for (int p = p0; p < n; p++) scores[j * n + p] = FloatDot.Dot(qj, keys.Slice(p * hd, hd));
            }
        }
        for (int j = 0; j < group; j++) Softmax.Apply(scores.Slice(j * n, n), Scale, f16);
        WeightedSums(scores, n, n, group, values, hd, o);
    }

    /// <summary>scores[j·stride + p] for keys p in [from, n) of a group of four queries, one key at a time.</summary>
    private static void KeyByKey4(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, int from, int n, int hd, Span<float> scores, int stride, Span<float> four)
    {
        for (int p = from; p < n; p++)
        {
            FloatDot.DotQueries4(q, keys.Slice(p * hd, hd), four);
            for (int j = 0; j < 4; j++) scores[j * stride + p] = four[j];
        }
    }

    /// <summary>o_j = Σ_{p &lt; n} w[j·stride + p] · v_p for every head j of the group (four at once where the vector path applies).</summary>
    private static void WeightedSums(ReadOnlySpan<float> w, int stride, int n, int group, ReadOnlySpan<float> values, int hd, Span<float> o)
    {
        if (group == 4 && Vector512.IsHardwareAccelerated && hd % 64 == 0) WeightedSum.Sum4(w, stride, n, values, hd, o);
        else
            for (int j = 0; j < group; j++)
                WeightedSum.Sum(w.Slice(j * stride, n), values, hd, 0, o.Slice(j * hd, hd));
    }

    /// <summary>
    /// One thread's view of a head's keys and values as floats. An F32 cache is read in place; an F16 cache is converted
    /// into per-thread rows, extended as later tokens of the same sequence need more positions, so a batch converts
    /// each position of a head once per layer rather than once per token.
    /// </summary>
    private sealed class HeadRows
    {
        private float[] _k = [], _v = [];
        private KvCache? _cache;
        private long _call = -1;
        private int _head, _converted;

        public void Read(KvCache cache, int layer, int head, int n, long call, out ReadOnlySpan<float> keys, out ReadOnlySpan<float> values)
        {
            if (cache.Type != KvCacheType.F16)
            {
                keys = cache.ReadKeys(layer, head, n, []);
                values = cache.ReadValues(layer, head, n, []);
                return;
            }
            if (!ReferenceEquals(cache, _cache) || call != _call || head != _head) { _cache = cache; _call = call; _head = head; _converted = 0; }
            int length = n * cache.HeadDim;
            if (_k.Length < length)
            {
                int size = Math.Max(length, 2 * _k.Length);
                Array.Resize(ref _k, size);
                Array.Resize(ref _v, size);
            }
            int from = Math.Min(_converted, n);
            keys = cache.ReadKeys(layer, head, n, _k, from);
            values = cache.ReadValues(layer, head, n, _v, from);
            _converted = Math.Max(_converted, n);
        }
    }

    private static Span<float> Buffer(ref float[]? buffer, int length) =>
        (buffer is { } b && b.Length >= length ? b : (buffer = new float[Math.Max(length, 4096)])).AsSpan(0, length);
}
