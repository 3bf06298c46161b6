using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

/// <summary>`tern dummy --i2s-layout arm` and `--i2s-layout` on the commands that load models.</summary>
public class I2SLayoutCommandTests
{
    private static CliRunner.Result Eval(string model, string logits, params string[] extra) =>
        CliRunner.Run(["eval", "-m", model, "--tokens", "256 1 2 3 40 50", "--logits-out", logits, "-t", "2", .. extra]);

    [Fact]
    public void AnArmLayoutDummy_GivesTheX86DummysLogits_ByteForByte()
    {
        using var dir = new TempDir();
        string[] shape = ["--preset", "tiny", "--layers", "2", "--seed", "7"];
        Assert.Equal(0, CliRunner.Run(["dummy", "-o", dir.File("x86.gguf"), .. shape]).ExitCode);
        var w = CliRunner.Run(["dummy", "-o", dir.File("arm.gguf"), "--i2s-layout", "arm", .. shape]);
        Assert.Equal(0, w.ExitCode);
        Assert.Contains("(arm layout)", w.Err);
        Assert.Equal(0, CliRunner.Run(["dummy", "-o", dir.File("bare.gguf"), "--i2s-layout", "arm", "--no-layout-key", .. shape]).ExitCode);

        Assert.Equal(0, Eval(dir.File("x86.gguf"), dir.File("x86.f32")).ExitCode);
        var arm = Eval(dir.File("arm.gguf"), dir.File("arm.f32"));
        Assert.Equal(0, arm.ExitCode);
        Assert.Contains("I2_S layout arm (from tern.i2_s.layout); repacked at load", arm.Err);
        var bare = Eval(dir.File("bare.gguf"), dir.File("bare.f32"), "--i2s-layout", "arm");
        Assert.Equal(0, bare.ExitCode);
        Assert.Contains("I2_S layout arm (as requested)", bare.Err);

        Assert.Contains("I2_S layout arm (from tern.i2_s.layout)", CliRunner.Run("info", dir.File("arm.gguf")).Out);

        var expected = File.ReadAllBytes(dir.File("x86.f32"));
        Assert.Equal(expected, File.ReadAllBytes(dir.File("arm.f32")));
        Assert.Equal(expected, File.ReadAllBytes(dir.File("bare.f32")));
    }

    [Fact]
    public void AFileThatDoesNotShowItsLayout_LoadsAsX86_WithAWarning()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliRunner.Run("dummy", "-o", dir.File("bare.gguf"), "--preset", "tiny", "--layers", "2", "--i2s-layout", "arm", "--no-layout-key").ExitCode);
        var r = Eval(dir.File("bare.gguf"), dir.File("bare.f32"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("warning: I2_S layout x86", r.Err);
        Assert.Contains("try --i2s-layout arm", r.Err);
    }

    [Fact]
    public void BadLayoutNames_AreUserErrors()
    {
        using var dir = new TempDir();
        var d = CliRunner.Run("dummy", "-o", dir.File("m.gguf"), "--i2s-layout", "mips");
        Assert.Equal(1, d.ExitCode);
        Assert.Contains("unknown --i2s-layout 'mips' (x86 or arm)", d.Err);
        Assert.False(File.Exists(dir.File("m.gguf")));
        Assert.Equal(0, CliRunner.Run("dummy", "-o", dir.File("m.gguf"), "--preset", "tiny", "--layers", "1").ExitCode);
        var e = Eval(dir.File("m.gguf"), dir.File("m.f32"), "--i2s-layout", "risc");
        Assert.Equal(1, e.ExitCode);
        Assert.Contains("unknown --i2s-layout 'risc' (auto, x86 or arm)", e.Err);
    }
}
