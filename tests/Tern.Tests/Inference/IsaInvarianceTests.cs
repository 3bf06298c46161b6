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
    public void LogitsAreTheSameWithAnInstructionSetOff(string knob)
    {
        using var dir = new TempDir();
        string model = OracleFiles.BitnetCpp("tiny-i2_s.gguf");
        string ids = File.ReadAllText(OracleFiles.BitnetCpp("seqB.ids.txt")).Trim();
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
