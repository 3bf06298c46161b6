using Tern.Dummy;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

/// <summary>
/// Every mistake a user makes is one `error:` line on stderr, exit code 1, nothing on stdout and no stack trace —
/// the parser's own errors included (issue 13). MODEL in a case stands for a tiny random model.
/// </summary>
public sealed class CliErrorLineTests
{
    [Theory]
    [InlineData("error: -n expects an integer, got 'abc'", "generate", "-m", "MODEL", "-p", "x", "-n", "abc")]
    [InlineData("error: -s expects an integer, got 'abc'", "generate", "-m", "MODEL", "-p", "x", "-s", "abc")]
    [InlineData("error: --temp expects a number, got 'warm'", "generate", "-m", "MODEL", "-p", "x", "--temp", "warm")]
    [InlineData("error: --temp expects a number", "generate", "-m", "MODEL", "-p", "x", "--temp")]
    [InlineData("error: -c expects an integer, got '1e3'", "chat", "-m", "MODEL", "-c", "1e3")]
    [InlineData("error: unknown command 'genrate' (did you mean 'generate'?)", "genrate", "-p", "x")]
    [InlineData("error: unknown command 'frobnicate'", "frobnicate")]
    [InlineData("error: unknown flag '--temperature' for 'generate' (did you mean '--temp'?)", "generate", "--temperature", "1")]
    [InlineData("error: unknown flag '--sytem' for 'chat' (did you mean '--system'?)", "chat", "--sytem", "hi")]
    [InlineData("error: unexpected argument 'extra' for 'info'", "info", "MODEL", "extra")]
    [InlineData("error: no command given (try 'tern --help')")]
    [InlineData("error: -o/--output is required", "dummy", "--preset", "tiny")]
    [InlineData("error: --hidden 256 is not a multiple of --heads 3", "dummy", "-o", "OUT", "--heads", "3")]
    [InlineData("error: unknown --preset 'huge'; known presets: tiny, large, 2b4t, 3b, 8b", "dummy", "-o", "OUT", "--preset", "huge")]
    [InlineData("error: --layers 5000 is outside 1..4096", "dummy", "-o", "OUT", "--layers", "5000")]
    [InlineData("error: --threads: 0 is out of range (1..65536)", "bench", "-m", "MODEL", "-t", "0")]
    [InlineData("error: --threads expects comma-separated integers, got 'two'", "bench", "-m", "MODEL", "-t", "two")]
    [InlineData("error: --temp must be", "generate", "-m", "MODEL", "-p", "x", "--temp", "-1")]
    public void IsOneErrorLineWithExitCodeOne(string expected, params string[] args)
    {
        using var dir = new TempDir();
        string model = dir.File("m.gguf");
        if (args.Contains("MODEL")) DummyModelWriter.Write(model, DummyModelSpec.Preset("tiny"));
        var argv = args.Select(a => a switch { "MODEL" => model, "OUT" => dir.File("out.gguf"), _ => a }).ToArray();
        var r = CliRunner.RunWithInput("", argv);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith(expected, r.Err);
        Assert.DoesNotContain("System.", r.Err);
        Assert.DoesNotContain("(Parameter", r.Err);
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("chat")]
    [InlineData("eval")]
    [InlineData("bench")]
    [InlineData("serve")]
    [InlineData("dummy")]
    [InlineData("tokenize")]
    [InlineData("perplexity")]
    public void HelpSaysTernAndShowsEachDefaultOnce(string command)
    {
        var r = CliRunner.Run(command, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"Usage:\n  tern {command} [options]", r.Out.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("Tern.Cli", r.Out);
        foreach (var line in r.Out.Split('\n'))
            Assert.True(System.Text.RegularExpressions.Regex.Matches(line, @"default").Count <= 1, line);
    }

    [Fact]
    public void OneThreadIsSingular()
    {
        using var dir = new TempDir();
        string model = dir.File("m.gguf");
        DummyModelWriter.Write(model, DummyModelSpec.Preset("tiny"));
        var r = CliRunner.Run("generate", "-m", model, "-p", "x", "-n", "1", "-t", "1");
        Assert.Contains("| 1 thread |", r.Err);
    }
}
