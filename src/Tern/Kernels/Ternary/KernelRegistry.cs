using Tern.Kernels.Arm64;
using Tern.Kernels.Portable;
using Tern.Kernels.Reference;
using Tern.Kernels.X86;

namespace Tern.Kernels;

/// <summary>Every ternary kernel this machine can run, best first. The choice is made once, when a model loads.</summary>
public static class KernelRegistry
{
    public static IReadOnlyList<ITernaryKernel> Supported { get; } = Build();

    public static ITernaryKernel Best => Supported[0];

    public static ITernaryKernel ByName(string name) =>
        Supported.FirstOrDefault(k => k.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown or unsupported kernel '{name}' (this machine has: {string.Join(", ", Supported.Select(k => k.Name))})");

    private static List<ITernaryKernel> Build()
    {
        var list = new List<ITernaryKernel>();
        if (AvxVnniKernel.IsSupported) list.Add(AvxVnniKernel.Instance); // faster than avx512bw where both exist (measured on Intel Emerald Rapids)
        if (Avx512BWKernel.IsSupported) list.Add(Avx512BWKernel.Instance);
        if (Avx2Kernel.IsSupported) list.Add(Avx2Kernel.Instance);
        if (Ssse3Kernel.IsSupported) list.Add(Ssse3Kernel.Instance);
        if (AdvSimdDpKernel.IsSupported) list.Add(AdvSimdDpKernel.Instance);
        if (AdvSimdKernel.IsSupported) list.Add(AdvSimdKernel.Instance);
        if (Vector128Kernel.IsSupported) list.Add(Vector128Kernel.Instance);
        list.Add(ReferenceTernaryKernel.Instance);
        return list;
    }
}
