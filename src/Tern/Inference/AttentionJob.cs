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
        if (group == 4 && Vector512.IsHardwareAccelerated && hd % 64 == 0) WeightedSum4(w, stride, n, values, hd, o);
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

    /// <summary>
    /// o_j = Σ_{p &lt; n} w[j·stride + p] · v_p for the four heads j of a group, 64 outputs at a time (16 accumulators), each
    /// element summed in order of p exactly as <see cref="WeightedSum.Sum"/> does; v_p is loaded once for all four.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum4(ReadOnlySpan<float> w, int stride, int n, ReadOnlySpan<float> values, int hd, Span<float> o)
    {
        ref float pv = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(values);
        _ = w.Slice(0, 3 * stride + n);
        _ = values.Slice(0, n * hd);
        _ = o.Slice(0, 4 * hd);
        ref float pw = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(w);
        // Positions in chunks of 64 (their value rows, 32 KB at head_dim 128, stay in L1 for every 64-wide slice c);
        // the sums go to o between chunks and come back, so each element is still one chain in order of p.
        for (int p0 = 0; p0 < n; p0 += 64)
        {
            int p1 = Math.Min(n, p0 + 64);
            for (int c = 0; c < hd; c += 64)
            {
                Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
                if (p0 > 0)
                {
                    (a00, a01, a02, a03) = Load(o.Slice(c, 64));
                    (a10, a11, a12, a13) = Load(o.Slice(hd + c, 64));
                    (a20, a21, a22, a23) = Load(o.Slice(2 * hd + c, 64));
                    (a30, a31, a32, a33) = Load(o.Slice(3 * hd + c, 64));
                }
                for (int p = p0; p < p1; p++)
                {
                    nuint at = (nuint)(p * hd + c);
                    var v0 = Vector512.LoadUnsafe(ref pv, at);
                    var v1 = Vector512.LoadUnsafe(ref pv, at + 16);
                    var v2 = Vector512.LoadUnsafe(ref pv, at + 32);
                    var v3 = Vector512.LoadUnsafe(ref pv, at + 48);
                    var w0 = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref pw, p));
                    var w1 = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref pw, stride + p));
                    var w2 = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref pw, 2 * stride + p));
                    var w3 = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref pw, 3 * stride + p));
                    a00 = Vector512.FusedMultiplyAdd(w0, v0, a00); a01 = Vector512.FusedMultiplyAdd(w0, v1, a01); a02 = Vector512.FusedMultiplyAdd(w0, v2, a02); a03 = Vector512.FusedMultiplyAdd(w0, v3, a03);
                    a10 = Vector512.FusedMultiplyAdd(w1, v0, a10); a11 = Vector512.FusedMultiplyAdd(w1, v1, a11); a12 = Vector512.FusedMultiplyAdd(w1, v2, a12); a13 = Vector512.FusedMultiplyAdd(w1, v3, a13);
                    a20 = Vector512.FusedMultiplyAdd(w2, v0, a20); a21 = Vector512.FusedMultiplyAdd(w2, v1, a21); a22 = Vector512.FusedMultiplyAdd(w2, v2, a22); a23 = Vector512.FusedMultiplyAdd(w2, v3, a23);
                    a30 = Vector512.FusedMultiplyAdd(w3, v0, a30); a31 = Vector512.FusedMultiplyAdd(w3, v1, a31); a32 = Vector512.FusedMultiplyAdd(w3, v2, a32); a33 = Vector512.FusedMultiplyAdd(w3, v3, a33);
                }
                Store(o.Slice(c, 64), a00, a01, a02, a03);
                Store(o.Slice(hd + c, 64), a10, a11, a12, a13);
                Store(o.Slice(2 * hd + c, 64), a20, a21, a22, a23);
                Store(o.Slice(3 * hd + c, 64), a30, a31, a32, a33);
            }
        }
    }

    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Load(Span<float> o) =>
        (Vector512.Create<float>(o), Vector512.Create<float>(o[16..]), Vector512.Create<float>(o[32..]), Vector512.Create<float>(o[48..]));

    private static void Store(Span<float> o, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        a.CopyTo(o); b.CopyTo(o[16..]); c.CopyTo(o[32..]); d.CopyTo(o[48..]);
    }
}
