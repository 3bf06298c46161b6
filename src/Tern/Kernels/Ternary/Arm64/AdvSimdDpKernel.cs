using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace Tern.Kernels.Arm64;

/// <summary>
/// Ternary dots with the ARMv8.2 dot-product instruction <c>sdot</c> (16 signed bytes × 16 signed bytes, summed four
/// at a time into int32 lanes; every Apple M and Neoverse core). Codes c = T + 1 ∈ {0, 1, 2} (3 where a file holds the
/// unused code) are non-negative signed bytes, so Σ T·q = Σ c·q − Σ q as in the x86 kernels, but with no int16 stage.
/// <para><b>Mat-vec</b> (I2_S, TQ2_0): <see cref="AdvSimdDpMatVecStep"/> (planes masked in place, no shifts) in
/// <see cref="MatVecDriver"/>; TQ1_0: <see cref="TQ1MatVec128{D}"/>. <b>2–16 tokens</b> (I2_S, TQ2_0):
/// <see cref="AdvSimdDpBatchStep"/> in <see cref="BatchMatVecDriver"/>. <b>Mat-mat:</b> <see cref="Arm64Tiles{D}"/>
/// (4 rows × 4 tokens) in <see cref="PanelMatMul"/>.</para>
/// </summary>
public sealed unsafe class AdvSimdDpKernel : TernaryKernelBase
{
    public static readonly AdvSimdDpKernel Instance = new();

    public static bool IsSupported => Dp.IsSupported && AdvSimd.Arm64.IsSupported;

    public override string Name => "neon-dot";

    private protected override void MatVec(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots)
    {
        if (!MatVecDriver.Run<AdvSimdDpMatVecStep, Activations128, AdvSimdDpMatVecStep.Accumulators, Vector128<int>>(w, row0, row1, q, dots))
            TQ1MatVec128<DpDotAdd>.Rows(w.Data + row0 * TernaryRows.RowBytes(w), row1 - row0, w.Cols, q, TernaryCodes.Sum(q, w.Cols), dots);
    }

    private protected override bool SmallBatch(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        BatchMatVecDriver.Run<AdvSimdDpBatchStep, CodePlanes128, Vector128<int>, Vector128<int>>(w, row0, row1, q, n, dots, stride);

    private protected override void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        PanelMatMul.Run<Arm64Tiles<DpDotAdd>>(w, row0, row1, q, n, dots, stride);
}
