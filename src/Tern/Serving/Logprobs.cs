namespace Tern.Serving;

/// <summary>Log-probabilities of a logits row: log-softmax, computed in double for the normalizer.</summary>
internal static class Logprobs
{
    /// <summary>The chosen token's log-probability and the <paramref name="top"/> most likely tokens' (highest first, lower id on ties).</summary>
    public static (TokenLogprob Chosen, TokenLogprob[] Top) Of(ReadOnlySpan<float> logits, int chosen, int top)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) if (l > max) max = l;
        double sum = 0;
        foreach (float l in logits) sum += Math.Exp(l - max);
        float logZ = (float)(max + Math.Log(sum));
        var best = new TokenLogprob[Math.Min(top, logits.Length)];
        int n = 0;
        for (int i = 0; i < logits.Length && best.Length > 0; i++)
        {
            // Insertion into a short sorted list (top ≤ 20).
            if (n == best.Length && logits[i] <= best[n - 1].Logprob) continue;
            int j = n < best.Length ? n++ : n - 1;
            while (j > 0 && logits[i] > best[j - 1].Logprob) { best[j] = best[j - 1]; j--; }
            best[j] = new TokenLogprob(i, logits[i]);
        }
        for (int i = 0; i < best.Length; i++) best[i] = best[i] with { Logprob = best[i].Logprob - logZ };
        return (new TokenLogprob(chosen, logits[chosen] - logZ), best);
    }
}
