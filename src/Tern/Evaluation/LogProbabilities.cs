namespace Tern.Evaluation;

/// <summary>Log-softmax of a logit row, in double precision (the scoring is exact enough not to depend on how the row was summed).</summary>
public static class LogProbabilities
{
    /// <summary>ln Σ exp(logit − max), and max: log p_i = logit_i − max − the first.</summary>
    public static (double LogSum, float Max) Normalizer(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits) max = MathF.Max(max, v);
        double sum = 0;
        foreach (float v in logits) sum += Math.Exp((double)v - max);
        return (Math.Log(sum), max);
    }

    /// <summary>ln p(token) under the softmax of <paramref name="logits"/>.</summary>
    public static double Of(ReadOnlySpan<float> logits, int token)
    {
        var (logSum, max) = Normalizer(logits);
        return (double)logits[token] - max - logSum;
    }

    /// <summary>Writes ln p_i for every entry of the row.</summary>
    public static void All(ReadOnlySpan<float> logits, Span<float> logp)
    {
        var (logSum, max) = Normalizer(logits);
        for (int i = 0; i < logits.Length; i++) logp[i] = (float)((double)logits[i] - max - logSum);
    }
}
