namespace Tern.Evaluation;

/// <summary>
/// Compares a run's distributions with a base run's, position by position (llama-perplexity --kl-divergence):
/// KL(base ‖ this) = Σ_i p_base,i (ln p_base,i − ln p_i), Δp = p(target) − p_base(target), and whether both put the
/// same token on top. Identical logits give exactly 0, 0 and 100 %.
/// </summary>
public sealed class KlDivergence
{
    private readonly List<double> _kld = new(), _dp = new();
    private readonly float[] _logp;
    private long _sameTop;
    private double _nll, _nll2, _baseNll, _baseNll2, _crossNll;

    public KlDivergence(int vocab) => _logp = new float[vocab];

    public long Count => _kld.Count;

    public void Add(ReadOnlySpan<float> baseLogp, ReadOnlySpan<float> logits, int target)
    {
        LogProbabilities.All(logits, _logp);
        double kld = 0;
        int top = 0, baseTop = 0;
        for (int i = 0; i < _logp.Length; i++)
        {
            double pb = Math.Exp(baseLogp[i]);
            if (pb > 0) kld += pb * ((double)baseLogp[i] - _logp[i]);
            if (_logp[i] > _logp[top]) top = i;
            if (baseLogp[i] > baseLogp[baseTop]) baseTop = i;
        }
        _kld.Add(kld);
        _dp.Add(Math.Exp(_logp[target]) - Math.Exp(baseLogp[target]));
        if (top == baseTop) _sameTop++;
        double nll = -_logp[target], baseNll = -baseLogp[target];
        _nll += nll; _nll2 += nll * nll; _baseNll += baseNll; _baseNll2 += baseNll * baseNll; _crossNll += nll * baseNll;
    }

    public KlDivergenceReport Report()
    {
        int n = _kld.Count;
        if (n == 0) throw new InvalidOperationException("no positions were compared");
        var kld = _kld.Order().ToArray();
        var dp = _dp.Order().ToArray();
        double sameTop = (double)_sameTop / n;
        double meanNll = _nll / n, meanBase = _baseNll / n;
        // ln(PPL(Q)/PPL(base)) is the mean of the per-token differences; its error from their variance.
        double meanDiff = meanNll - meanBase;
        double varDiff = (_nll2 - 2 * _crossNll + _baseNll2) / n - meanDiff * meanDiff;
        return new KlDivergenceReport(
            n, Math.Exp(meanNll), Math.Exp(meanBase), meanDiff, StandardError(varDiff, n),
            Stats(kld), Stats(dp), Math.Sqrt(_dp.Sum(v => v * v) / n),
            sameTop, Math.Sqrt(sameTop * (1 - sameTop) / Math.Max(n - 1, 1)));
    }

    private static double StandardError(double variance, int n) => n > 1 && variance > 0 ? Math.Sqrt(variance / (n - 1)) : 0;

    private static Distribution Stats(double[] sorted)
    {
        int n = sorted.Length;
        double mean = sorted.Average();
        double variance = sorted.Sum(v => v * v) / n - mean * mean;
        double At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * n) - 1, 0, n - 1)]; // nearest rank
        return new Distribution(mean, StandardError(variance, n), sorted[^1], At(0.999), At(0.99), At(0.95), At(0.5), At(0.05), At(0.01), At(0.001), sorted[0]);
    }
}

/// <summary>Mean (± standard error), maximum, the 99.9/99/95/50/5/1/0.1 % points, minimum.</summary>
public sealed record Distribution(double Mean, double MeanError, double Max, double P999, double P99, double P95, double Median, double P5, double P1, double P01, double Min);

public sealed record KlDivergenceReport(
    long Count, double Perplexity, double BasePerplexity, double MeanLogPerplexityRatio, double MeanLogPerplexityRatioError,
    Distribution Kld, Distribution DeltaP, double RmsDeltaP, double SameTop, double SameTopError);
