using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector128;

namespace Tern.Kernels.Portable;

/// <summary>
/// Ternary dots on 128-bit vectors with the cross-platform <see cref="Vector128"/> API only (SSE on x86, AdvSimd on
/// ARM), for machines without a faster kernel: <see cref="Vector128MatVecStep{M}"/> in <see cref="MatVecDriver"/> for one
/// token (I2_S, TQ2_0) and <see cref="Vector128Tiles{M}"/> in <see cref="PanelMatMul"/> otherwise, with
/// <see cref="PortableMultiplyAdd"/>; 2–16 tokens by <see cref="Vector128BatchStep{M}"/> in
/// <see cref="BatchMatVecDriver"/>. x86's SSSE3 form of the same kernel is <see cref="X86.Ssse3Kernel"/>.
/// </summary>
public sealed unsafe class Vector128Kernel : TernaryKernelBase
{
    public static readonly Vector128Kernel Instance = new();

    public static bool IsSupported => V.IsHardwareAccelerated;

    public override string Name => "vector128";

    private protected override void MatVec(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots)
    {
        if (!MatVecDriver.Run<Vector128MatVecStep<PortableMultiplyAdd>, ActivationPointer, Vector128<short>, Vector128<int>>(w, row0, row1, q, dots))
            PanelMatMul.Run<Vector128Tiles<PortableMultiplyAdd>>(w, row0, row1, q, 1, dots, row1 - row0);
    }

    private protected override bool SmallBatch(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        BatchMatVecDriver.Run<Vector128BatchStep<PortableMultiplyAdd>, Vector128BatchStep<PortableMultiplyAdd>.Planes, Vector128<short>, Vector128<int>>(w, row0, row1, q, n, dots, stride);

    private protected override void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        PanelMatMul.Run<Vector128Tiles<PortableMultiplyAdd>>(w, row0, row1, q, n, dots, stride);
}
