using Tern.Dummy;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

/// <summary>Contexts, prompt files and output paths that users get wrong (issue 13): checked before any work, one line each.</summary>
public sealed class CliInputOutputTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _model;

    public CliInputOutputTests()
    {
        _model = _dir.File("m.gguf");
        DummyModelWriter.Write(_model, DummyModelSpec.Preset("tiny"));
    }

    public void Dispose() => _dir.Dispose();

    private static void AssertOneError(CliRunner.Result r, string expected)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'), l => !l.StartsWith("loaded ", StringComparison.Ordinal));
        Assert.Contains("error: " + expected, r.Err);
    }

    [Theory]
    [InlineData("50000000")]
    [InlineData("2147483647")]
    public void AContextBeyondTheModelsIsRefused(string ctx)
    {
        var r = CliRunner.Run("generate", "-m", _model, "-p", "x", "-n", "1", "-c", ctx);
        AssertOneError(r, $"-c {ctx} is more than the model's context of 4096 tokens");
    }

    [Fact]
    public void AContextWhoseCacheDoesNotFitInMemorySaysHowMuchItNeeds()
    {
        string big = _dir.File("long.gguf");
        DummyModelWriter.Write(big, DummyModelSpec.Preset("tiny") with
        {
            Layers = 256, Dim = 128, FfnDim = 128, Heads = 2, KvHeads = 2, ContextLength = 1 << 24,
        });
        var r = CliRunner.Run("generate", "-m", big, "-p", "x", "-n", "1", "-c", (1 << 24).ToString());
        AssertOneError(r, "a 16777216-token context needs 4096.0 GiB of KV cache, more than the ");
    }

    [Fact]
    public void APromptLongerThanTheContextPrintsNothing()
    {
        var r = CliRunner.Run("generate", "-m", _model, "-p", string.Concat(Enumerable.Repeat("once upon a time ", 40)), "-c", "16");
        AssertOneError(r, "the prompt is ");
        Assert.Contains("more than the context of 16", r.Err);
    }

    [Fact]
    public void APromptFileThatIsADirectoryIsSaidToBeOne()
    {
        AssertOneError(CliRunner.Run("generate", "-m", _model, "-f", _dir.Path), $"-f {_dir.Path} is a directory");
    }

    [Theory]
    [InlineData("generate", "--ids-out")]
    [InlineData("eval", "--logits-out")]
    public void AnOutputThatIsADirectoryIsRefusedBeforeAnyWork(string command, string flag)
    {
        var r = CliRunner.Run(command, "-m", _model, "--tokens", "1 2 3", flag, _dir.Path);
        AssertOneError(r, $"{_dir.Path} is a directory");
        Assert.DoesNotContain("loaded ", r.Err); // refused before the model was even loaded
    }

    [Fact]
    public void DashFileReadsThePromptFromStandardInput()
    {
        var piped = CliRunner.RunWithInput("once upon a time", "generate", "-m", _model, "-f", "-", "-n", "3", "--temp", "0");
        var given = CliRunner.Run("generate", "-m", _model, "-p", "once upon a time", "-n", "3", "--temp", "0");
        Assert.Equal(0, piped.ExitCode);
        Assert.StartsWith("once upon a time", piped.Out);
        Assert.Equal(given.Out, piped.Out);
    }

    [Fact]
    public void AReversePromptStopsGenerationBeforeIt()
    {
        string[] run = ["generate", "-m", _model, "-p", "once upon", "-n", "30", "--temp", "0", "--no-display-prompt"];
        var full = CliRunner.Run(run);
        string text = full.Out.TrimEnd('\n');
        Assert.True(text.Length >= 8, text);
        string stop = text.Substring(text.Length / 2, 3);
        var stopped = CliRunner.Run([.. run, "-r", "never-appears", "-r", stop]);
        Assert.Equal(0, stopped.ExitCode);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped.Out.TrimEnd('\n'));
        Assert.Contains("stop: StopString", stopped.Err);
    }
}
