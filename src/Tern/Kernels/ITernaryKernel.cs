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
}
