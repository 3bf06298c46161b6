using Tern.Dummy;
using Tern.Inference;
using Tern.Models;
using Tern.Sampling;
using Tern.Tests.Cli;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Inference;

/// <summary>
/// Context shift (issue 13): when generation fills the context, keep N tokens, drop half of the rest, recompute the
/// remaining tokens' keys and values, continue. Exact: what follows equals a fresh run over the tokens that remain.
/// </summary>
public sealed class ContextShiftTests : IDisposable
{
    private const int Context = 48;
    private readonly TempDir _dir = new();
    private readonly string _path;
    private readonly Model _model;
    private readonly Evaluator _evaluator;
    private readonly Tokenizer _tokenizer;

    public ContextShiftTests()
    {
        _path = _dir.File("m.gguf");
        DummyModelWriter.Write(_path, DummyModelSpec.Preset("tiny") with { Layers = 2, Seed = 5 });
        _model = Model.Load(_path);
        _evaluator = new Evaluator(_model, 2);
        _tokenizer = Tokenizer.FromGguf(_model.File);
    }

    public void Dispose()
    {
        _evaluator.Dispose();
        _model.Dispose();
        _dir.Dispose();
    }

    private int[] Generate(int[] input, int max, int? keep)
    {
        using var seq = new Sequence(_model, Context);
        var options = new GenerationOptions { MaxTokens = max, Sampler = SamplerOptions.Greedy, StopAtEndOfGeneration = false, ContextShiftKeep = keep };
        return new Generator(_evaluator, _tokenizer).Generate(seq, input, options).Where(s => s.Token >= 0).Select(s => s.Token).ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(11)]
    public void TheContinuationEqualsAFreshRunOverTheKeptTokens(int keep)
    {
        int[] prompt = [.. Enumerable.Range(10, 11)];
        int[] shifted = Generate(prompt, 60, keep);
        Assert.Equal(60, shifted.Length); // went past the full context

        // The first shift comes when prompt + fed tokens fill the context; the token sampled then is fed after it.
        int at = Context - prompt.Length;
        int[] full = [.. prompt, .. shifted[..at]];
        int discard = (Context - keep) / 2;
        int[] kept = [.. full[..keep], .. full[(keep + discard)..], shifted[at]];
        int[] fresh = Generate(kept, shifted.Length - at - 1, keep);
        Assert.Equal(shifted[(at + 1)..], fresh);
    }

    [Fact]
    public void WithoutItGenerationStopsAtAFullContext()
    {
        using var seq = new Sequence(_model, Context);
        var gen = new Generator(_evaluator, _tokenizer);
        var options = new GenerationOptions { MaxTokens = 100, Sampler = SamplerOptions.Greedy, StopAtEndOfGeneration = false };
        int n = gen.Generate(seq, [1, 2, 3], options).Count(s => s.Token >= 0);
        Assert.Equal(StopReason.ContextFull, gen.Stats.StopReason);
        Assert.Equal(Context - 3 + 1, n);
    }

    [Fact]
    public void TheCommandLineShiftsWithTheFlagAndStopsWithout()
    {
        string[] run = ["generate", "-m", _path, "--tokens", "1 2 3", "-c", "32", "-n", "50", "--temp", "0", "--ignore-eos", "-t", "1"];
        var stopped = CliRunner.Run(run);
        Assert.Equal(0, stopped.ExitCode);
        Assert.Contains("stop: ContextFull", stopped.Err);
        var shifted = CliRunner.Run([.. run, "--context-shift", "--keep", "-1"]);
        Assert.Equal(0, shifted.ExitCode);
        Assert.Matches(@"generation: 50 tokens .* stop: MaxTokens \| context shifts: \d+", shifted.Err);
        var refused = CliRunner.Run([.. run, "--context-shift", "--keep", "31"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("error: --keep 31 leaves nothing to shift in a context of 32 tokens", refused.Err);
    }
}
