using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

/// <summary>`tern dummy` and `tern convert`, end to end through the other commands.</summary>
public class ModelFileCommandTests
{
    [Fact]
    public void DummyModelsOfEveryTernaryTypeGiveTheSameLogits()
    {
        using var dir = new TempDir();
        byte[]? first = null;
        foreach (var type in new[] { "i2_s", "tq2_0", "tq1_0" })
        {
            var w = CliRunner.Run("dummy", "-o", dir.File($"{type}.gguf"), "--preset", "tiny", "--type", type, "--layers", "2", "--seed", "7");
            Assert.Equal(0, w.ExitCode);
            var e = CliRunner.Run("eval", "-m", dir.File($"{type}.gguf"), "--tokens", "256 1 2 3 40 50", "--logits-out", dir.File($"{type}.f32"), "-t", "2");
            Assert.Equal(0, e.ExitCode);
            var bytes = File.ReadAllBytes(dir.File($"{type}.f32"));
            first ??= bytes;
            Assert.Equal(first, bytes);
        }
    }

    [Fact]
    public void DummyRefusesToOverwriteAndRejectsBadShapes()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("m.gguf"), "mine");
        var r = CliRunner.Run("dummy", "-o", dir.File("m.gguf"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("mine", File.ReadAllText(dir.File("m.gguf")));
        r = CliRunner.Run("dummy", "-o", dir.File("x.gguf"), "--hidden", "100");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error:", r.Err.Trim());
        Assert.False(File.Exists(dir.File("x.gguf")));
        r = CliRunner.Run("dummy", "-o", dir.File("x.gguf"), "--preset", "huge");
        Assert.Equal(1, r.ExitCode);
    }

    [SharedFact]
    public void ConvertedBitllama2cModelTellsItsStory()
    {
        using var dir = new TempDir();
        string o(string f) => SharedData.PathOf("oracle", "bitllama2c", f);
        var c = CliRunner.Run("convert", "--from", "bitllama2c", o("stories1M_bit_model.bin"), "--tokenizer", o("tokenizer.model"), "-o", dir.File("s.gguf"));
        Assert.Equal(0, c.ExitCode);
        var g = CliRunner.Run("generate", "-m", dir.File("s.gguf"), "-p", "", "-n", "64", "--temp", "0", "--ids-out", dir.File("ids.txt"));
        Assert.Equal(0, g.ExitCode);
        Assert.Equal(OracleFiles.ReadIds(o("expected_greedy_ids.txt")), OracleFiles.ReadIds(dir.File("ids.txt")));
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", g.Out);
        Assert.StartsWith(g.Out.TrimEnd('\n'), File.ReadAllText(o("expected_greedy_text.txt")));
    }

    [Fact]
    public void ConvertErrorsAreClear()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("bad.bin"), new byte[300]);
        File.WriteAllBytes(dir.File("tok.model"), new byte[10]);
        var r = CliRunner.Run("convert", "--from", "bitllama2c", dir.File("bad.bin"), "--tokenizer", dir.File("tok.model"), "-o", dir.File("o.gguf"));
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error:", r.Err.Trim());
        Assert.False(File.Exists(dir.File("o.gguf")));
        r = CliRunner.Run("convert", "--from", "pytorch", dir.File("bad.bin"), "-o", dir.File("o.gguf"));
        Assert.Equal(1, r.ExitCode);
    }
}
