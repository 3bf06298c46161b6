using System.Diagnostics;
using Tern.Inference;
using Tern.Models;

namespace Tern.Benchmarking;

/// <summary>One result row of `tern bench`: a test (pp N or tg N) at a thread count, over several repeats.</summary>
public sealed record BenchResult(string Test, int Threads, int Tokens, double[] TokensPerSecond, int Gen0Collections, int Gen2Collections)
{
    public double Median => Percentile(0.5);
    public double Min => TokensPerSecond.Min();
    public double Max => TokensPerSecond.Max();
    /// <summary>Share of the measured parallel operations the worker pool ran on fewer threads (it found the machine busy).</summary>
    public double ReducedShare { get; init; }

    private double Percentile(double p)
    {
        var s = TokensPerSecond.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}

/// <summary>
/// llama-bench-style measurements. pp N: a fresh sequence takes N random tokens in one batch. tg N: a fresh sequence
/// takes N tokens one forward pass at a time (like llama-bench, from an empty context).
/// </summary>
public static class ModelBenchmark
{
    public static BenchResult PromptProcessing(Model model, int threads, int tokens, int repeats, KvCacheType cache = KvCacheType.F32)
    {
        using var ev = new Evaluator(model, threads) { MaxBatch = Math.Max(tokens, 1) };
        var ids = RandomTokens(model, tokens);
        var seq = new Sequence(model, tokens, cache);
        ev.Decode(seq, ids); // warm-up
        return Measure($"pp{tokens}", ev.Pool, tokens, repeats, () =>
        {
            seq.Truncate(0);
            ev.Decode(seq, ids);
        });
    }

    /// <param name="topKOutput">greedy through the exact top-k output layer (k = 1) instead of the full output product</param>
    public static BenchResult Generation(Model model, int threads, int tokens, int repeats, KvCacheType cache = KvCacheType.F32, bool topKOutput = false)
    {
        using var ev = new Evaluator(model, threads);
        var ids = RandomTokens(model, tokens);
        var seq = new Sequence(model, tokens, cache);
        void Step(int id)
        {
            if (topKOutput) ev.DecodeNextTopK(seq, id, 1, []);
            else ev.DecodeNext(seq, id);
        }
        for (int i = 0; i < Math.Min(4, tokens); i++) Step(ids[i]); // warm-up (builds the top-k copy if used)
        seq.Truncate(0);
        return Measure(topKOutput ? $"tg{tokens}-topk" : $"tg{tokens}", ev.Pool, tokens, repeats, () =>
        {
            seq.Truncate(0);
            for (int i = 0; i < tokens; i++) Step(ids[i]);
        });
    }

    private static BenchResult Measure(string test, Threading.WorkerPool pool, int tokens, int repeats, Action run)
    {
        var rates = new double[repeats];
        long ops = pool.ParallelOperations, reduced = pool.ReducedOperations;
        int g0 = GC.CollectionCount(0), g2 = GC.CollectionCount(2);
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            run();
            rates[r] = tokens / sw.Elapsed.TotalSeconds;
        }
        ops = pool.ParallelOperations - ops; reduced = pool.ReducedOperations - reduced;
        return new BenchResult(test, pool.ThreadCount, tokens, rates, GC.CollectionCount(0) - g0, GC.CollectionCount(2) - g2)
        {
            ReducedShare = ops > 0 ? (double)reduced / ops : 0,
        };
    }

    private static int[] RandomTokens(Model model, int n)
    {
        var rng = new Random(1234);
        return Enumerable.Range(0, n).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
    }
}
