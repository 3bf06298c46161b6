using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Kernels.Portable;

namespace Tern.Kernels.X86;

/// <summary>
/// The 128-bit kernel (<see cref="Vector128Kernel"/>'s steps and tiles) with SSSE3 <c>pmaddubsw</c> and SSE2
/// <c>pmaddwd</c> for its multiply-adds (<see cref="Ssse3MultiplyAdd"/>): x86 machines without AVX2.
/// </summary>
public sealed unsafe class Ssse3Kernel : TernaryKernelBase
{
    public static readonly Ssse3Kernel Instance = new();

    public static bool IsSupported => Ssse3.IsSupported;

    public override string Name => "ssse3";

    private protected override void MatVec(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots)
    {
        if (!MatVecDriver.Run<Vector128MatVecStep<Ssse3MultiplyAdd>, ActivationPointer, Vector128<short>, Vector128<int>>(w, row0, row1, q, dots))
            PanelMatMul.Run<Vector128Tiles<Ssse3MultiplyAdd>>(w, row0, row1, q, 1, dots, row1 - row0);
    }

    private protected override bool SmallBatch(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        BatchMatVecDriver.Run<Vector128BatchStep<Ssse3MultiplyAdd>, Vector128BatchStep<Ssse3MultiplyAdd>.Planes, Vector128<short>, Vector128<int>>(w, row0, row1, q, n, dots, stride);

    private protected override void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        PanelMatMul.Run<Vector128Tiles<Ssse3MultiplyAdd>>(w, row0, row1, q, n, dots, stride);
}
