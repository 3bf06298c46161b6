using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Tern.Kernels.Arm64;

/// <summary>
/// Ternary dots with plain ARMv8 AdvSimd, for ARM64 cores without the dot-product extension (Cortex-A53/A72/A73,
/// Raspberry Pi 3/4): widening multiply-adds (<c>smull</c>/<c>smlal</c>/<c>smlal2</c>) and pairwise widening adds
/// (<c>sadalp</c>) instead of the portable kernel's separate widen, multiply and add.
/// <para><b>Mat-vec</b> (I2_S, TQ2_0): <see cref="AdvSimdMatVecStep"/> (int16 accumulators) in
/// <see cref="MatVecDriver"/>; TQ1_0: <see cref="TQ1MatVec128{D}"/>. <b>2–16 tokens</b> (I2_S, TQ2_0):
/// <see cref="AdvSimdBatchStep"/> (int16 accumulators too) in <see cref="BatchMatVecDriver"/>. <b>Mat-mat:</b>
/// <see cref="Arm64Tiles{D}"/> (4 rows × 4 tokens) in <see cref="PanelMatMul"/>; it and TQ1_0 with <see cref="NeonDotAdd"/>.</para>
/// </summary>
public sealed unsafe class AdvSimdKernel : TernaryKernelBase
{
    public static readonly AdvSimdKernel Instance = new();

    public static bool IsSupported => AdvSimd.Arm64.IsSupported;

    public override string Name => "neon";

    private protected override void MatVec(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots)
    {
        if (!MatVecDriver.Run<AdvSimdMatVecStep, Activations128, Vector128<short>, Vector128<int>>(w, row0, row1, q, dots))
            TQ1MatVec128<NeonDotAdd>.Rows(w.Data + row0 * TernaryRows.RowBytes(w), row1 - row0, w.Cols, q, TernaryCodes.Sum(q, w.Cols), dots);
    }

    private protected override bool SmallBatch(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        BatchMatVecDriver.Run<AdvSimdBatchStep, CodePlanes128, Vector128<short>, Vector128<int>>(w, row0, row1, q, n, dots, stride);

    private protected override void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        PanelMatMul.Run<Arm64Tiles<NeonDotAdd>>(w, row0, row1, q, n, dots, stride);
}
