using Tern.Cli.BuiltinModel;
using Tern.Evaluation;
using Tern.Inference;
using Tern.Kernels;
using Tern.Models;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Evaluation;

/// <summary>
/// tern perplexity's scoring on the built-in TinyStories model (a trained model, so the numbers mean something):
/// against a computation of its own from plain per-window logits, and across threads, batching and kernels.
/// </summary>
public sealed class PerplexityTests : IDisposable
{
    internal const string Story =
        "Once upon a time, there was a little boy named Tom. Tom liked to play in the park with his red ball. One day, he " +
        "saw a big dog under a tree. The dog was sad because it was lost. Tom said, \"Do not be sad, dog. I will help you " +
        "find your home.\" The dog wagged its tail and they walked together. They looked near the pond and behind the big " +
        "slide. Then they saw a girl named Sue. Sue was crying and calling, \"Max! Max!\" The dog ran to her and jumped up. " +
        "Sue smiled and hugged the dog. \"Thank you, Tom!\" she said. Tom felt happy.\n";

    private readonly TempDir _dir = new();
    private readonly Model _model;
    private readonly int[] _tokens;

    public PerplexityTests()
    {
        _model = Model.Load(BuiltinModel.EnsureFile(_dir.Path));
        _tokens = Tokenizer.FromGguf(_model.File).Encode(Story);
    }

    public void Dispose()
    {
        _model.Dispose();
        _dir.Dispose();
    }

    private PerplexityOptions Options(int batch = 512) => new() { Context = 32, Batch = batch, BosId = 1 };

    [Fact]
    public void EqualsThePerplexityOfEachWindowsOwnLogits()
    {
        var o = Options();
        int windows = _tokens.Length / o.Context;
        Assert.True(windows >= 3, $"the story gives only {windows} windows");
        using var ev = new Evaluator(_model, threads: 1);
        double nll = 0, nll2 = 0;
        int count = 0, vocab = _model.Config.VocabSize;
        for (int w = 0; w < windows; w++)
        {
            var window = _tokens.AsSpan(w * o.Context, o.Context).ToArray();
            window[0] = 1; // BOS first, as llama-perplexity
            using var seq = new Sequence(_model, o.Context);
            var logits = ev.Decode(seq, window, allLogits: true);
            for (int j = o.Context / 2; j < o.Context - 1; j++)
            {
                var row = logits.AsSpan(j * vocab, vocab);
                double max = double.NegativeInfinity;
                foreach (float v in row) max = Math.Max(max, v);
                double sum = 0;
                foreach (float v in row) sum += Math.Exp(v - max);
                double v1 = -(row[_tokens[w * o.Context + j + 1]] - max - Math.Log(sum));
                nll += v1; nll2 += v1 * v1; count++;
            }
        }
        double mean = nll / count;
        using var ev2 = new Evaluator(_model, threads: 2);
        var got = Perplexity.Run(ev2, _tokens, o);
        Assert.Equal(count, got.Count);
        Assert.Equal(windows, got.Chunks);
        Assert.Equal(Math.Exp(mean), got.Value, 12);
        Assert.Equal(Math.Exp(mean) * Math.Sqrt((nll2 / count - mean * mean) / (count - 1)), got.Error, 12);
        Assert.InRange(got.Value, 1.5, 30); // a trained model on a story of its kind: far below the vocabulary's 512
    }

    [Fact]
    public void IsIdenticalAcrossThreadsBatchingAndKernels()
    {
        var runs = new List<(string How, double Value, List<double> Chunks)>();
        void Add(string how, Model model, int threads, int batch)
        {
            using var ev = new Evaluator(model, threads);
            var chunks = new List<double>();
            var r = Perplexity.Run(ev, _tokens, Options(batch), c => chunks.Add(c.RunningPerplexity));
            runs.Add((how, r.Value, chunks));
        }
        Add("1 thread, 512 per pass", _model, 1, 512);
        Add("2 threads, 512 per pass", _model, 2, 512);
        Add("2 threads, 7 per pass", _model, 2, 7);
        Add("2 threads, 32 per pass", _model, 2, 32);
        Add("1 thread, 80 per pass", _model, 1, 80);
        foreach (var kernel in KernelRegistry.Supported)
        {
            using var m = Model.Load(_model.File.Path, new ModelOptions { Kernel = kernel });
            Add(kernel.Name, m, 2, 512);
        }
        foreach (var run in runs)
        {
            Assert.True(runs[0].Value == run.Value, $"{run.How}: {run.Value:R} vs {runs[0].Value:R}");
            Assert.Equal(runs[0].Chunks, run.Chunks);
        }
    }

    [Fact]
    public void ReportsTheRunningPerplexityAfterEveryWindow()
    {
        using var ev = new Evaluator(_model, 2);
        var seen = new List<ChunkPerplexity>();
        var r = Perplexity.Run(ev, _tokens, Options() with { Chunks = 2 }, seen.Add);
        Assert.Equal(2, r.Chunks);
        Assert.Equal([1, 2], seen.Select(c => c.Chunk));
        Assert.Equal(r.Value, seen[^1].RunningPerplexity);
        Assert.Equal(2 * 15, r.Count); // positions 16..30 of each 32-token window
    }

    [Fact]
    public void RefusesATextShorterThanOneWindow()
    {
        using var ev = new Evaluator(_model, 1);
        var e = Assert.Throws<ArgumentException>(() => Perplexity.Run(ev, _tokens.AsSpan(0, 20), Options()));
        Assert.Contains("fewer than one window", e.Message);
    }
}
