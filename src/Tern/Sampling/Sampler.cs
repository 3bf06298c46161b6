namespace Tern.Sampling;

/// <summary>
/// Picks the next token from logits: repetition penalty, then top-k, top-p, min-p, temperature, then a draw from
/// the softmax (llama.cpp's order). With a seed, the same logits and history always give the same token.
/// </summary>
public sealed class Sampler
{
    private readonly SamplerOptions _o;
    private ulong _rng;
    private (int Id, float Logit)[] _candidates = [];
    private float[] _probs = [];

    public Sampler(SamplerOptions options)
    {
        options.Validate();
        _o = options;
        _rng = options.Seed ?? (ulong)Random.Shared.NextInt64();
        if (_rng == 0) _rng = 0x9E3779B97F4A7C15;
    }

    public SamplerOptions Options => _o;

    /// <summary>Index of the largest value; the lowest index wins ties.</summary>
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>Samples a token. <paramref name="logits"/> is modified (penalties); <paramref name="history"/> holds the tokens so far.</summary>
    public int Sample(Span<float> logits, IReadOnlyList<int> history)
    {
        ApplyRepeatPenalty(logits, history);
        if (_o.Temperature <= 0) return Argmax(logits);

        // Candidates sorted by logit, descending (ties: lower id first), cut to top-k.
        int n = logits.Length;
        if (_candidates.Length < n) { _candidates = new (int, float)[n]; _probs = new float[n]; }
        int count = _o.TopK > 0 ? Math.Min(_o.TopK, n) : n;
        var c = _candidates.AsSpan(0, count);
        if (count < n) SelectTop(logits, c);
        else for (int i = 0; i < n; i++) c[i] = (i, logits[i]);
        c.Sort(static (a, b) => Better(a, b) ? -1 : Better(b, a) ? 1 : 0);

        // Softmax over the remaining candidates (at temperature 1, as llama.cpp's top-p/min-p see them).
        var p = _probs.AsSpan(0, count);
        Softmax(c[..count], p, 1f);

        // top-p: smallest prefix whose cumulative probability reaches p.
        if (_o.TopP < 1)
        {
            float cum = 0;
            for (int i = 0; i < count; i++)
            {
                cum += p[i];
                if (cum >= _o.TopP) { count = i + 1; break; }
            }
        }
        // min-p: drop tokens whose probability is below min_p times the best one.
        if (_o.MinP > 0)
        {
            float threshold = p[0] * _o.MinP;
            int keep = 1;
            while (keep < count && p[keep] >= threshold) keep++;
            count = keep;
        }
        // Temperature, then draw.
        p = _probs.AsSpan(0, count);
        Softmax(c[..count], p, _o.Temperature);
        double r = NextDouble();
        double acc = 0;
        for (int i = 0; i < count; i++)
        {
            acc += p[i];
            if (r < acc) return c[i].Id;
        }
        return c[count - 1].Id;
    }

    /// <summary>Higher logit first; the lower id wins ties.</summary>
    private static bool Better((int Id, float Logit) a, (int Id, float Logit) b) =>
        a.Logit > b.Logit || (a.Logit == b.Logit && a.Id < b.Id);

    /// <summary>The top.Length best candidates (unordered), with a min-heap: O(n log k) instead of sorting all n.</summary>
    private static void SelectTop(ReadOnlySpan<float> logits, Span<(int Id, float Logit)> top)
    {
        int k = top.Length;
        for (int i = 0; i < k; i++) { top[i] = (i, logits[i]); SiftUp(top, i); }
        for (int i = k; i < logits.Length; i++)
        {
            var cand = (i, logits[i]);
            if (!Better(cand, top[0])) continue;
            top[0] = cand;
            SiftDown(top, 0);
        }
    }

    // Min-heap on "Better": the root is the worst of the kept candidates.
    private static void SiftUp(Span<(int Id, float Logit)> h, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(h[parent], h[i])) break;
            (h[parent], h[i]) = (h[i], h[parent]);
            i = parent;
        }
    }

    private static void SiftDown(Span<(int Id, float Logit)> h, int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < h.Length && Better(h[worst], h[l])) worst = l;
            if (r < h.Length && Better(h[worst], h[r])) worst = r;
            if (worst == i) return;
            (h[worst], h[i]) = (h[i], h[worst]);
            i = worst;
        }
    }

    private void ApplyRepeatPenalty(Span<float> logits, IReadOnlyList<int> history)
    {
        if (_o.RepeatPenalty == 1f || _o.RepeatLastN == 0 || history.Count == 0) return;
        var seen = new HashSet<int>();
        for (int i = Math.Max(0, history.Count - _o.RepeatLastN); i < history.Count; i++)
        {
            int id = history[i];
            if ((uint)id >= (uint)logits.Length || !seen.Add(id)) continue;
            logits[id] = logits[id] > 0 ? logits[id] / _o.RepeatPenalty : logits[id] * _o.RepeatPenalty;
        }
    }

    private static void Softmax(ReadOnlySpan<(int Id, float Logit)> c, Span<float> p, float temperature)
    {
        float max = c[0].Logit / temperature;
        double sum = 0;
        for (int i = 0; i < c.Length; i++)
        {
            p[i] = MathF.Exp(c[i].Logit / temperature - max);
            sum += p[i];
        }
        for (int i = 0; i < c.Length; i++) p[i] = (float)(p[i] / sum);
    }

    /// <summary>xorshift64*: small, fast and identical on every platform and .NET version.</summary>
    private double NextDouble()
    {
        _rng ^= _rng >> 12;
        _rng ^= _rng << 25;
        _rng ^= _rng >> 27;
        ulong x = _rng * 0x2545F4914F6CDD1DUL;
        return (x >> 11) * (1.0 / (1UL << 53));
    }
}
