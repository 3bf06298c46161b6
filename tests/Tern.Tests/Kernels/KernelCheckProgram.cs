using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Kernels;
using Tern.Kernels.Reference;

namespace Tern.Tests.Kernels;

/// <summary>
/// The test assembly's entry point (the test SDK's generated one is switched off in the project file), used only as
/// the child process of <see cref="KernelIsaLadderTests"/>: <c>dotnet Tern.Tests.dll kernel-check</c> prints the
/// instruction sets the runtime reports and runs <see cref="KernelConformance.Sweep"/> on every fast kernel registered
/// under them, then <see cref="F16Conformance"/> on the output layer's F16 dots. Exit code 0 when all pass.
/// </summary>
public static class KernelCheckProgram
{
    public static int Main(string[] args)
    {
        if (args is not ["kernel-check"])
        {
            Console.Error.WriteLine("usage: dotnet Tern.Tests.dll kernel-check   (tests run with `dotnet test`)");
            return 2;
        }
        Console.WriteLine($"isa Avx512BW={Avx512BW.IsSupported} Avx2={Avx2.IsSupported} Ssse3={Ssse3.IsSupported} Vector128={Vector128.IsHardwareAccelerated} AvxVnni={AvxVnni.IsSupported} AdvSimd={System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported} ArmDp={System.Runtime.Intrinsics.Arm.Dp.IsSupported}");
        Console.WriteLine($"kernels {string.Join(",", KernelRegistry.Supported.Select(k => k.Name))}");
        int failed = 0;
        foreach (var kernel in KernelRegistry.Supported)
        {
            if (kernel == ReferenceTernaryKernel.Instance) continue;
            var failures = KernelConformance.Sweep(kernel);
            Console.WriteLine(failures.Count == 0 ? $"pass {kernel.Name}" : $"FAIL {kernel.Name}: {failures.Count} cases\n  {string.Join("\n  ", failures.Take(5))}");
            if (failures.Count > 0) failed++;
        }
        var f16 = F16Conformance.FirstFailure();
        Console.WriteLine(f16 is null ? "pass f16-dot" : $"FAIL f16-dot: {f16}");
        if (f16 != null) failed++;
        return failed == 0 ? 0 : 1;
    }
}
