using Tern.Dummy;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

/// <summary>Small CLI defects from the tracker (issue 13), each with its regression test.</summary>
public sealed class CliDefectTests
{
    [Theory]
    [InlineData("generate", "--temp", "-1", "--temp must be a number ≥ 0")]
    [InlineData("chat", "-n", "-5", "--n-predict must be -1 or more")]
    public void OutOfRangeValuesAreRefused(string command, string flag, string value, string message)
    {
        using var dir = new TempDir();
        string model = dir.File("m.gguf");
        DummyModelWriter.Write(model, DummyModelSpec.Preset("tiny"));
        string[] prompt = command == "generate" ? ["-p", "x"] : [];
        var r = CliRunner.RunWithInput("", [command, "-m", model, .. prompt, flag, value]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.StartsWith("error: " + message, r.Err);
    }

    [Fact]
    public void EvalWithoutAModelSaysSoInsteadOfDownloading()
    {
        var r = CliRunner.Run("eval", "--tokens", "1 2 3");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error: no model given", r.Err);
    }

    [Fact]
    public void NPredictZeroGeneratesNothing()
    {
        using var dir = new TempDir();
        string model = dir.File("m.gguf");
        DummyModelWriter.Write(model, DummyModelSpec.Preset("tiny"));
        var r = CliRunner.Run("generate", "-m", model, "--tokens", "1 2 3", "-n", "0", "--ids-out", dir.File("ids.txt"), "--no-display-prompt");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("generation: 0 tokens", r.Err);
        Assert.Equal("", File.ReadAllText(dir.File("ids.txt")).Trim());
    }

    [Fact]
    public void OutputFilesAreReplacedWholeThroughATemporaryFile()
    {
        using var dir = new TempDir();
        string model = dir.File("m.gguf");
        DummyModelWriter.Write(model, DummyModelSpec.Preset("tiny"));
        string logits = dir.File("logits.bin"), ids = dir.File("ids.txt");
        File.WriteAllText(logits, new string('x', 1 << 20)); // longer than what replaces it: no stale tail may remain
        Assert.Equal(0, CliRunner.Run("eval", "-m", model, "--tokens", "1 2", "--logits-out", logits, "--force").ExitCode);
        Assert.Equal(0, CliRunner.Run("generate", "-m", model, "--tokens", "1 2", "-n", "3", "--ids-out", ids, "--no-display-prompt").ExitCode);
        Assert.Equal(2L * DummyModelSpec.Preset("tiny").VocabSize * 4, new FileInfo(logits).Length);
        Assert.Equal(3, File.ReadAllLines(ids).Length);
        Assert.Equal(["ids.txt", "logits.bin", "m.gguf"], Directory.GetFiles(dir.Path).Select(f => Path.GetFileName(f)!).Order().ToArray()); // no temporary left
    }
}
