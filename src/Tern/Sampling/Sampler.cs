namespace Tern.Sampling;

/// <summary>A sampled token and its probability in the distribution it was drawn from (1 when greedy).</summary>
public readonly record struct SampledToken(int Id, float Probability);

/// <summary>
/// Picks the next token from logits: penalties, then top-k, top-p, min-p, temperature, then a draw from the softmax
/// (llama.cpp's order). One sampler belongs to one sequence: it keeps that sequence's random state and the window of
/// recent tokens the penalties look at (<see cref="Accept(int)"/>), so a conversation's draws continue across turns.
/// With a seed, the same logits and history always give the same token.
/// </summary>
public sealed class Sampler
{
    private readonly SamplerOptions _o;
    private ulong _rng;
    private (int Id, float Logit)[] _candidates = [];
    private float[] _probs = [];
    private readonly PenaltyWindow? _window;

    public Sampler(SamplerOptions options)
    {
        options.Validate();
        _o = options;
        _rng = options.Seed ?? (ulong)Random.Shared.NextInt64();
        if (_rng == 0) _rng = 0x9E3779B97F4A7C15;
        if (options.HasPenalties) _window = new PenaltyWindow(options.RepeatLastN);
    }

    public SamplerOptions Options => _o;

    /// <summary>Adds a token of the sequence (prompt or generated) to the window the penalties see.</summary>
    public void Accept(int token) => _window?.Push(token);

    public void Accept(IEnumerable<int> tokens)
    {
        if (_window is null) return;
        foreach (int t in tokens) _window.Push(t);
    }

    /// <summary>Forgets the penalty window (the random state goes on): call before accepting a rolled-back sequence again.</summary>
    public void ResetHistory() => _window?.Clear();

    /// <summary>The tokens the penalties will change (for the exact top-k output layer, which must compute them exactly).</summary>
    public IReadOnlyCollection<int> PenalizedTokens => (IReadOnlyCollection<int>?)_window?.Counts.Keys ?? [];

    /// <summary>Index of the largest value; the lowest index wins ties.</summary>
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>
    /// Samples a token. <paramref name="logits"/> is modified (penalties applied in place). The token is not accepted
    /// into the penalty window: call <see cref="Accept(int)"/> once it is part of the sequence.
    /// </summary>
    public SampledToken Sample(Span<float> logits)
    {
        ApplyPenalties(logits);
        if (_o.Temperature <= 0) return new SampledToken(Argmax(logits), 1f);

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
            if (r < acc) return new SampledToken(c[i].Id, p[i]);
        }
        return new SampledToken(c[count - 1].Id, p[count - 1]);
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

    /// <summary>
    /// llama.cpp's penalties over the last <c>RepeatLastN</c> tokens: a seen token's logit is divided (if positive)
    /// or multiplied (if not) by the repeat penalty, then lowered by count × frequency penalty + presence penalty.
    /// </summary>
    private void ApplyPenalties(Span<float> logits)
    {
        if (_window is null) return;
        foreach (var (id, count) in _window.Counts)
        {
            if ((uint)id >= (uint)logits.Length) continue;
            float l = logits[id];
            if (_o.RepeatPenalty != 1f) l = l > 0 ? l / _o.RepeatPenalty : l * _o.RepeatPenalty;
            l -= count * _o.FrequencyPenalty + _o.PresencePenalty;
            logits[id] = l;
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
