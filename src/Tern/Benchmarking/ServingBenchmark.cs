using Tern.Inference;
using Tern.Models;
using Tern.Sampling;
using Tern.Serving;
using Tern.Tokenizers;

namespace Tern.Benchmarking;

/// <summary>
/// Throughput of the scheduler (`tern bench --parallel`): N concurrent greedy streams over one model, and the time to
/// first token of a long prompt that arrives while other streams decode.
/// </summary>
public static class ServingBenchmark
{
    private const int PromptTokens = 16;

    /// <summary>
    /// Aggregate generation rate of <paramref name="streams"/> concurrent requests of <paramref name="tokens"/> tokens
    /// each: tokens after the first (all prompts are read in the first step) over the time from the last first token
    /// to the last completion. Each repeat uses new prompts, so no prefix is reused.
    /// </summary>
    public static BenchResult Aggregate(Model model, Tokenizer tokenizer, int threads, int streams, int tokens, int repeats, KvCacheType cache = KvCacheType.F32, OpProfile? profile = null, bool topKOutput = false)
    {
        using var s = new Scheduler(model, tokenizer, new SchedulerOptions
        {
            Slots = streams, Threads = threads, CacheType = cache, ContextSize = PromptTokens + tokens + 1, StepTokens = Math.Max(512, streams), MaxQueue = streams, Profile = profile,
            TopKOutput = topKOutput,
        });
        var rng = new Random(99);
        var rates = new double[repeats];
        int g0 = 0, g2 = 0;
        for (int r = -1; r < repeats; r++) // r = -1: warm-up
        {
            if (r == 0) { g0 = GC.CollectionCount(0); g2 = GC.CollectionCount(2); }
            var handles = Enumerable.Range(0, streams).Select(_ => s.Submit(Request(model, rng, PromptTokens, tokens))).ToArray();
            var results = Task.WhenAll(handles.Select(h => h.Completion)).GetAwaiter().GetResult();
            Check(results, tokens);
            double seconds = results.Max(x => x.Duration.TotalSeconds) - results.Max(x => x.TimeToFirstToken.TotalSeconds);
            if (r >= 0) rates[r] = results.Sum(x => x.CompletionTokens - 1) / seconds;
        }
        return new BenchResult($"tg{tokens}{(topKOutput ? "-topk" : "")} x{streams}", threads, tokens * streams, rates, GC.CollectionCount(0) - g0, GC.CollectionCount(2) - g2);
    }

    /// <summary>
    /// Time to first token of a <paramref name="promptTokens"/>-token prompt on an idle scheduler and while
    /// <paramref name="background"/> other streams decode (median of the repeats, seconds).
    /// </summary>
    public static (double Idle, double Loaded) TimeToFirstToken(Model model, Tokenizer tokenizer, int threads, int promptTokens, int background, int repeats, int stepTokens = 512, KvCacheType cache = KvCacheType.F32)
    {
        using var s = new Scheduler(model, tokenizer, new SchedulerOptions
        {
            Slots = background + 1, Threads = threads, CacheType = cache, ContextSize = promptTokens + 4096, StepTokens = Math.Max(stepTokens, background + 1), MaxQueue = 4,
        });
        var rng = new Random(7);
        double Probe() => s.Submit(Request(model, rng, promptTokens, 1)).Completion.GetAwaiter().GetResult().TimeToFirstToken.TotalSeconds;
        Probe(); // warm-up
        var idle = Enumerable.Range(0, repeats).Select(_ => Probe()).ToArray();
        var loaded = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            using var stop = new CancellationTokenSource();
            var others = Enumerable.Range(0, background).Select(_ => s.Submit(Request(model, rng, PromptTokens, -1), stop.Token)).ToArray();
            foreach (var o in others) o.Chunks.ReadAsync().AsTask().GetAwaiter().GetResult(); // all of them decoding
            loaded[r] = Probe();
            stop.Cancel();
            Task.WhenAll(others.Select(o => o.Completion)).GetAwaiter().GetResult();
        }
        return (Median(idle), Median(loaded));
    }

    private static CompletionRequest Request(Model model, Random rng, int promptTokens, int maxTokens) => new()
    {
        Prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.Next(model.Config.VocabSize)).ToArray(),
        MaxTokens = maxTokens,
        Sampler = SamplerOptions.Greedy,
        StopAtEndOfGeneration = false,
    };

    private static void Check(CompletionResult[] results, int tokens)
    {
        foreach (var r in results)
            if (r.CompletionTokens != tokens) throw new InvalidOperationException($"a benchmark stream ended early ({r.FinishReason}, {r.CompletionTokens} tokens): {r.Error?.Message}");
    }

    private static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
