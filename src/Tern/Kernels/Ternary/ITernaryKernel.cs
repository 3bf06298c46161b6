namespace Tern.Kernels;

/// <summary>
/// The exact integer part of a ternary linear layer: for rows r in [row0, row1) and tokens t in [0, n),
/// <c>dots[t · dotsStride + (r − row0)] = Σ_k T[r, k] · q[t · K + k]</c> — the true integer sum, whatever the inputs.
/// Every implementation returns exactly what <see cref="Reference.ReferenceTernaryKernel"/> returns.
/// </summary>
public interface ITernaryKernel
{
    /// <summary>Name shown by `tern bench` and `tern info`, e.g. "reference", "avx512bw".</summary>
    string Name { get; }

    bool Supports(TernaryMatrix w);

    void Dots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, Span<int> dots, int dotsStride);

    /// <summary>
    /// The absmax layer output straight from the dots: <c>y[t · yStride + (r − row0)] = DotRescale.One(D[t, r], a[t],
    /// w.Scale, extra)</c>. Kernels may fuse the rescale into their own output step (no int dots written to memory and
    /// read back); by default the dots go through a per-thread buffer.
    /// </summary>
    void ScaledDots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, float extra, Span<float> y, int yStride)
        => DotRescale.ViaDots(this, w, row0, row1, q, n, a, extra, y, yStride);
}
