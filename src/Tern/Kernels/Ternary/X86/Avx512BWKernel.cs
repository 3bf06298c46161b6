using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tern.Kernels.X86;

/// <summary>
/// Ternary dots with AVX-512BW <c>vpmaddubsw</c> (64 unsigned codes × 64 int8 activations → 32 int16 pair sums).
/// <para><b>The unsigned-code trick.</b> Weights are stored as codes c = T + 1 ∈ {0, 1, 2}, so Σ T·q = Σ c·q − Σ q:
/// the kernels multiply codes (unsigned operand) by activations (signed operand) and subtract Σ q, computed once per
/// token.</para>
/// <para><b>Exactness.</b> int16 accumulators take at most <see cref="KernelTuning.MaxAddsPerLane"/> results per lane
/// before they are widened to int32 with <c>vpmaddwd</c> by ones: the sums are the true integer sums for every
/// input.</para>
/// <para><b>Mat-vec</b> (one token, I2_S and TQ2_0): <see cref="Avx512BWMatVecStep"/> in <see cref="MatVecDriver"/>.
/// TQ1_0: <see cref="TQ1MatVec256"/>. <b>2–16 tokens</b> (I2_S, TQ2_0): <see cref="Avx512BWBatchStep"/> in
/// <see cref="BatchMatVecDriver"/>, the weights read once per up to 8 tokens. <b>Mat-mat:</b> whole blocks of 32 tokens by table lookup
/// (<see cref="LookupMatMul{W}"/> of <see cref="Lookup512"/>), the rest by <see cref="Avx512BWTiles"/> in <see cref="PanelMatMul"/>.</para>
/// </summary>
public sealed unsafe class Avx512BWKernel : TernaryKernelBase
{
    public static readonly Avx512BWKernel Instance = new();

    public static bool IsSupported => Avx512BW.IsSupported && Avx2.IsSupported;

    public override string Name => "avx512bw";

    private protected override void MatVec(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots)
    {
        if (!MatVecDriver.Run<Avx512BWMatVecStep, Avx512BWMatVecStep.Activations, Vector512<short>, Vector512<int>>(w, row0, row1, q, dots))
            TQ1MatVec256.Rows(w.Data + row0 * TernaryRows.RowBytes(w), row1 - row0, w.Cols, q, TernaryCodes.Sum(q, w.Cols), dots);
    }

    private protected override bool SmallBatch(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        BatchMatVecDriver.Run<Avx512BWBatchStep, Avx512BWBatchStep.Planes, Vector512<short>, Vector512<int>>(w, row0, row1, q, n, dots, stride);

    /// <summary>
    /// Whole blocks of 32 tokens by table lookup where it applies (<see cref="LookupMatMul{W}"/> of <see cref="Lookup512"/>),
    /// the last 1–16 tokens to the mat-vec or small batch (<see cref="TernaryKernelBase.AfterLookup"/>), everything else by tiles.
    /// </summary>
    private protected override void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) =>
        AfterLookup(w, row0, row1, q, n, dots, stride, LookupMatMul<Lookup512>.Run(w, row0, row1, q, n, dots, stride, &PanelMatMul.Run<Avx512BWTiles>), &PanelMatMul.Run<Avx512BWTiles>);

    /// <summary>
    /// The rescaled output: whole blocks of 32 tokens by table lookup with the rescale fused into its store (no int
    /// dots in memory), everything else through the dots.
    /// </summary>
    public override void ScaledDots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, float extra, Span<float> y, int yStride)
    {
        if (!Supports(w)) throw new NotSupportedException($"{Name} cannot run {w}");
        LookupMatMul<Lookup512>.ScaledDots(this, w, row0, row1, q, n, a, extra, y, yStride, &PanelMatMul.Run<Avx512BWTiles>);
    }
}
