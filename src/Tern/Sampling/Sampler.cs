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
        var c = _candidates.AsSpan(0, n);
        for (int i = 0; i < n; i++) c[i] = (i, logits[i]);
        c.Sort(static (a, b) => a.Logit != b.Logit ? b.Logit.CompareTo(a.Logit) : a.Id.CompareTo(b.Id));
        int count = _o.TopK > 0 ? Math.Min(_o.TopK, n) : n;

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
