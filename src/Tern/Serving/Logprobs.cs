namespace Tern.Serving;

/// <summary>Log-probabilities of a logits row for the API's <c>logprobs</c>: <see cref="Evaluation.LogProbabilities"/>' log-softmax, plus the most likely tokens.</summary>
internal static class Logprobs
{
    /// <summary>The chosen token's log-probability and the <paramref name="top"/> most likely tokens' (highest first, lower id on ties).</summary>
    public static (TokenLogprob Chosen, TokenLogprob[] Top) Of(ReadOnlySpan<float> logits, int chosen, int top)
    {
        var (logSum, max) = Evaluation.LogProbabilities.Normalizer(logits);
        float Log(float logit) => (float)((double)logit - max - logSum); // as tern perplexity scores tokens
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
        for (int i = 0; i < best.Length; i++) best[i] = best[i] with { Logprob = Log(best[i].Logprob) };
        return (new TokenLogprob(chosen, Log(logits[chosen])), best);
    }
}
