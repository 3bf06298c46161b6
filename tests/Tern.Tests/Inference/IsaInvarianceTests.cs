using System.Diagnostics;
using Tern.Tests.Cli;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Inference;

/// <summary>
/// Whole-model logits are bit-identical whichever instruction sets run: `tern eval` in child processes with
/// AVX-512, AVX2 or all hardware intrinsics switched off writes exactly the bytes this process writes.
/// </summary>
public class IsaInvarianceTests
{
    [SharedTheory]
    [InlineData("DOTNET_EnableAVX512")]
    [InlineData("DOTNET_EnableAVX2")]
    [InlineData("DOTNET_EnableHWIntrinsic")]
    public void LogitsAreTheSameWithAnInstructionSetOff(string knob) =>
        Check(knob, OracleFiles.BitnetCpp("tiny-i2_s.gguf"), File.ReadAllText(OracleFiles.BitnetCpp("seqB.ids.txt")).Trim());

    /// <summary>A grouped-query model with 4 query heads per KV head and head_dim 64 (the shared-key attention paths).</summary>
    [Theory]
    [InlineData("DOTNET_EnableAVX512")]
    [InlineData("DOTNET_EnableHWIntrinsic")]
    public void GroupedQueryAttentionIsTheSameWithAnInstructionSetOff(string knob)
    {
        using var dir = new TempDir();
        string model = dir.File("gqa.gguf");
        Assert.Equal(0, CliRunner.Run("dummy", "-o", model, "--preset", "tiny", "--heads", "4", "--kv-heads", "1", "--layers", "2").ExitCode);
        Check(knob, model, "256 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21");
        // and batched equals one-by-one
        var a = CliRunner.Run("eval", "-m", model, "--tokens", "256 5 6 7 8 9 10 11 12", "--logits-out", dir.File("a.f32"));
        var b = CliRunner.Run("eval", "-m", model, "--tokens", "256 5 6 7 8 9 10 11 12", "--logits-out", dir.File("b.f32"), "--one-by-one", "-t", "1");
        Assert.Equal(0, a.ExitCode + b.ExitCode);
        Assert.Equal(File.ReadAllBytes(dir.File("a.f32")), File.ReadAllBytes(dir.File("b.f32")));
    }

    private static void Check(string knob, string model, string ids)
    {
        using var dir = new TempDir();
        var here = CliRunner.Run("eval", "-m", model, "--tokens", ids, "--logits-out", dir.File("here.f32"), "-t", "2");
        Assert.Equal(0, here.ExitCode);

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(typeof(Tern.Cli.Program).Assembly.Location);
        foreach (var a in new[] { "eval", "-m", model, "--tokens", ids, "--logits-out", dir.File("child.f32"), "-t", "2" }) psi.ArgumentList.Add(a);
        psi.Environment[knob] = "0";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "child timed out");
        Assert.True(p.ExitCode == 0, err.Result);
        Assert.Equal(File.ReadAllBytes(dir.File("here.f32")), File.ReadAllBytes(dir.File("child.f32")));
    }
}
