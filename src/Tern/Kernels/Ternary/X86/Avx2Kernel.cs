using System.Runtime.Intrinsics;
using ISA = System.Runtime.Intrinsics.X86.Avx2;

namespace Tern.Kernels.X86;

/// <summary>
/// Ternary dots with AVX2 <c>vpmaddubsw</c> (32 unsigned codes × 32 int8 activations → 16 int16 pair sums); the
/// same arithmetic as <see cref="Avx512BWKernel"/> (codes c = T + 1, Σ T·q = Σ c·q − Σ q, int16 lanes widened after at
/// most <see cref="KernelTuning.MaxAddsPerLane"/> multiply-adds), on 256-bit vectors.
/// <para><b>Mat-vec</b> (I2_S, TQ2_0): <see cref="Avx2MatVecStep"/> in <see cref="MatVecDriver"/>; TQ1_0:
/// <see cref="TQ1MatVec256"/>. <b>2–16 tokens</b> (I2_S, TQ2_0): <see cref="Avx2BatchStep"/> in
/// <see cref="BatchMatVecDriver"/>. <b>Mat-mat:</b> whole blocks of 16 tokens by table lookup
/// (<see cref="LookupMatMul{W}"/> of <see cref="Lookup256"/>), the rest by <see cref="Avx2Tiles"/> (4 rows × 2 tokens)
/// in <see cref="PanelMatMul"/>.</para>
/// </summary>
public sealed unsafe class Avx2Kernel : TernaryKernelBase
{
    public static readonly Avx2Kernel Instance = new();

    public static bool IsSupported => ISA.IsSupported;

    public override string Name => "avx2";

    private protected override void MatVec(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots)
    {
        if (!MatVecDriver.Run<Avx2MatVecStep, Avx2MatVecStep.Activations, Vector256<short>, Vector256<int>>(w, row0, row1, q, dots))
            TQ1MatVec256.Rows(w.Data + row0 * TernaryRows.RowBytes(w), row1 - row0, w.Cols, q, TernaryCodes.Sum(q, w.Cols), dots);
    }

    private protected override bool SmallBatch(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        BatchMatVecDriver.Run<Avx2BatchStep, Avx2BatchStep.Planes, Vector256<short>, Vector256<int>>(w, row0, row1, q, n, dots, stride);

    /// <summary>
    /// Whole blocks of 16 tokens by table lookup where it applies, the last 1–15 tokens where <see cref="TernaryKernelBase.Dots"/>
    /// sends that many (mat-vec, small batch), as <see cref="ScaledDots"/>' remainder goes; everything else by tiles.
    /// Measured at 2560 × 2560 I2_S, n = 17, DOTNET_EnableAVX512=0, alternating: 130–160 GMAC per CPU-second against
    /// 80–97 with the last token on the tiles.
    /// </summary>
    private protected override void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        AfterLookup(w, row0, row1, q, n, dots, stride, LookupMatMul<Lookup256>.Run(w, row0, row1, q, n, dots, stride, &PanelMatMul.Run<Avx2Tiles>), &PanelMatMul.Run<Avx2Tiles>);

    /// <summary>
    /// The rescaled output: whole blocks of 16 tokens by table lookup with the rescale fused into its store (no int
    /// dots in memory), everything else through the dots.
    /// </summary>
    public override void ScaledDots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, float extra, Span<float> y, int yStride)
    {
        if (!Supports(w)) throw new NotSupportedException($"{Name} cannot run {w}");
        LookupMatMul<Lookup256>.ScaledDots(this, w, row0, row1, q, n, a, extra, y, yStride, &PanelMatMul.Run<Avx2Tiles>);
    }
}
