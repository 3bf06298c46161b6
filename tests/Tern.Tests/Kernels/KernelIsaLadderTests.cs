using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Kernels.Portable;

namespace Tern.Tests.Kernels;

/// <summary>
/// The lower rungs of the ISA ladder on this machine: the test assembly is re-run as a child process
/// (<c>dotnet Tern.Tests.dll kernel-check</c>, see <see cref="KernelCheckProgram"/>) with one instruction set switched
/// off through the runtime's configuration knobs. Each child must report the instruction set off, register exactly the
/// kernels that remain, and pass the conformance sweep with all of them. (.NET 10's knob for AVX-512 is
/// <c>DOTNET_EnableAVX512</c>; the older <c>EnableAVX512F</c>/<c>EnableAVX512BW</c> names are ignored, and SSE–SSE4.2
/// are baseline and cannot be switched off.) About a second in all.
/// </summary>
public class KernelIsaLadderTests
{
    public static TheoryData<string, string, string> Rungs() => new()
    {
        // knob, the child's ISA line must contain, the child's kernel list
        { "DOTNET_EnableAVX512", "Avx512BW=False Avx2=True", AvxVnni.IsSupported ? "avxvnni,avx2,ssse3,vector128,reference" : "avx2,ssse3,vector128,reference" },
        { "DOTNET_EnableAVX2", "Avx512BW=False Avx2=False", "ssse3,vector128,reference" },
        { "DOTNET_EnableAVXVNNI", "AvxVnni=False", Avx512BW.IsSupported ? "avx512bw,avx2,ssse3,vector128,reference" : "avx2,ssse3,vector128,reference" },
        { "DOTNET_EnableHWIntrinsic", "Avx512BW=False Avx2=False Ssse3=False Vector128=False", "reference" },
    };

    [IsaTheory, MemberData(nameof(Rungs))]
    public void ChildWithInstructionSetOff_RegistersTheRestAndTheyAllPass(string knob, string isa, string kernels)
    {
        var (exit, output) = RunChild(knob);
        Assert.True(exit == 0, $"child with {knob}=0 exited {exit}:\n{output}");
        Assert.Contains(isa, output);
        Assert.Contains($"kernels {kernels}\n", output);
        foreach (var name in kernels.Split(',').Where(k => k != "reference"))
            Assert.Contains($"pass {name}\n", output);
    }

    [Fact]
    public void ChildWithNothingOff_SeesWhatThisProcessSees()
    {
        var (exit, output) = RunChild(null);
        Assert.True(exit == 0, output);
        Assert.Contains($"isa Avx512BW={Avx512BW.IsSupported} Avx2={Avx2.IsSupported}", output);
    }

    private static (int Exit, string Output) RunChild(string? knobOff)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(typeof(KernelCheckProgram).Assembly.Location);
        psi.ArgumentList.Add("kernel-check");
        if (knobOff != null) psi.Environment[knobOff] = "0";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(); return (-1, stdout + "\n(timed out)"); }
        return (p.ExitCode, (stdout + stderr.Result).Replace("\r\n", "\n"));
    }

    /// <summary>
    /// The portable multiply-add (the vector128 kernel's, which the conformance tests also run here) against
    /// <c>pmaddubsw</c>: same total for every input, same per-lane bound.
    /// </summary>
    [IsaFact]
    public void PortableMultiplyAdd_HasPmaddubswsTotal_AndBound()
    {
        var rng = new Random(5);
        for (int i = 0; i < 20000; i++)
        {
            var c = Vector128.Create(Enumerable.Range(0, 16).Select(_ => (byte)(i % 3 == 0 ? 3 : rng.Next(4))).ToArray());
            var q = Vector128.Create(Enumerable.Range(0, 16).Select(_ => (sbyte)(i % 5 == 0 ? -128 : rng.Next(-128, 128))).ToArray());
            var portable = PortableMultiplyAdd.MulAdd(c, q);
            Assert.Equal(Vector128.Sum(Ssse3.MultiplyAddAdjacent(c, q).AsInt16().WidenSum()), Vector128.Sum(portable.WidenSum()));
            for (int l = 0; l < 8; l++) Assert.InRange(portable[l], -768, 768);
        }
    }
}

/// <summary>A [Theory] skipped, with a visible reason, off x86 machines with AVX2 (the top of the ladder these tests climb down).</summary>
public sealed class IsaTheoryAttribute : TheoryAttribute
{
    public IsaTheoryAttribute()
    {
        if (!Avx2.IsSupported) Skip = "the ISA ladder starts from an x86 machine with AVX2";
    }
}

/// <summary>A [Fact] skipped, with a visible reason, off x86 machines with AVX2.</summary>
public sealed class IsaFactAttribute : FactAttribute
{
    public IsaFactAttribute()
    {
        if (!Avx2.IsSupported) Skip = "needs an x86 machine with AVX2";
    }
}

internal static class Vector128TestExtensions
{
    public static Vector128<int> WidenSum(this Vector128<short> v) => Vector128.WidenLower(v) + Vector128.WidenUpper(v);
}
