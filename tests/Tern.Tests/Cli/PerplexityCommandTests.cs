using Tern.Cli.BuiltinModel;
using Tern.Tests.Evaluation;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

/// <summary>`tern perplexity` end to end, in-process, on the built-in model.</summary>
public sealed class PerplexityCommandTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _model, _text;

    public PerplexityCommandTests()
    {
        _model = BuiltinModel.EnsureFile(_dir.Path);
        _text = _dir.File("story.txt");
        File.WriteAllText(_text, PerplexityTests.Story);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void PrintsEachWindowAndTheFinalEstimate()
    {
        var r = CliRunner.Run("perplexity", "-m", _model, "-f", _text, "-c", "32", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Matches(@"^\[1\]\d+\.\d{4},\[2\]\d+\.\d{4},", r.Out);
        Assert.Matches(@"Final estimate: PPL = \d+\.\d{4} \+/- \d+\.\d{5}", r.Out);
    }

    [Fact]
    public void SavesABaseAndComparesAgainstIt()
    {
        string basePath = _dir.File("base.kld");
        var save = CliRunner.Run("perplexity", "-m", _model, "-f", _text, "-c", "32", "--kl-divergence-base", basePath);
        Assert.True(save.ExitCode == 0, save.Err);
        var again = CliRunner.Run("perplexity", "-m", _model, "-f", _text, "-c", "32", "--kl-divergence-base", basePath);
        Assert.Equal(1, again.ExitCode); // never overwritten without --force
        Assert.Contains("--force", again.Err);
        var compare = CliRunner.Run("perplexity", "-m", _model, "--kl-divergence-base", basePath, "--kl-divergence", "-b", "5");
        Assert.True(compare.ExitCode == 0, compare.Err);
        Assert.Contains("Mean    KLD: 0.000000", compare.Out);
        Assert.Contains("Same top p: 100.000 %", compare.Out);
    }

    [Theory]
    [InlineData("no -f", "give the text with -f FILE")]
    [InlineData("short", "fewer than one window")]
    [InlineData("kl without base", "--kl-divergence needs --kl-divergence-base")]
    [InlineData("missing base", "base file not found")]
    [InlineData("directory", "is a directory")]
    public void MistakesGetOneErrorLine(string mistake, string message)
    {
        string shortText = _dir.File("short.txt");
        File.WriteAllText(shortText, "Once upon a time.");
        string[] args = mistake switch
        {
            "no -f" => ["perplexity", "-m", _model],
            "short" => ["perplexity", "-m", _model, "-f", shortText],
            "kl without base" => ["perplexity", "-m", _model, "--kl-divergence"],
            "missing base" => ["perplexity", "-m", _model, "--kl-divergence", "--kl-divergence-base", _dir.File("none.kld")],
            _ => ["perplexity", "-m", _model, "-f", _dir.Path],
        };
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.Contains(message, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }
}
