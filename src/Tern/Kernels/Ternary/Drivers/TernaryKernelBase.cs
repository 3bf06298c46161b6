namespace Tern.Kernels;

/// <summary>
/// The dispatch every fast kernel shares, written once: argument checks, then one token to the kernel's mat-vec and
/// several to its mat-mat, on pinned pointers. An ISA's kernel class supplies only those two (each a call of the
/// generic drivers with its step and tile types) and its registration.
/// </summary>
public abstract unsafe class TernaryKernelBase : ITernaryKernel
{
    public abstract string Name { get; }

    public virtual bool Supports(TernaryMatrix w) => TernaryRows.Supported(w);

    public void Dots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, Span<int> dots, int dotsStride)
    {
        TernaryRows.CheckArguments(w, row0, row1, q, n, dots, dotsStride);
        if (!Supports(w)) throw new NotSupportedException($"{Name} cannot run {w}");
        if (row1 == row0 || n == 0) return;
        fixed (sbyte* pq = q)
        fixed (int* pd = dots)
        {
            if (n == 1) MatVec(w, row0, row1, pq, pd);
            else if (!SmallBatch(w, row0, row1, pq, n, pd, dotsStride)) MatMat(w, row0, row1, pq, n, pd, dotsStride);
        }
    }

    /// <summary>By default the dots go through a per-thread buffer (<see cref="DotRescale.ViaDots"/>); kernels with a fused rescale override it.</summary>
    public virtual void ScaledDots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, float extra, Span<float> y, int yStride)
        => DotRescale.ViaDots(this, w, row0, row1, q, n, a, extra, y, yStride);

    /// <summary>One token: dots[r − row0] for r in [row0, row1).</summary>
    private protected abstract void MatVec(TernaryMatrix w, int row0, int row1, sbyte* q, int* dots);

    /// <summary>
    /// A few tokens (n ≥ 2) at mat-vec cost in memory (<see cref="BatchMatVecDriver"/>) where the kernel has such a
    /// step and the batch is small enough; false: the mat-mat runs instead.
    /// </summary>
    private protected virtual bool SmallBatch(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride) => false;

    /// <summary>n ≥ 2 tokens: dots[t·stride + (r − row0)].</summary>
    private protected abstract void MatMat(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride);

    /// <summary>
    /// The tokens a mat-mat's table lookup left (<paramref name="done"/> of n were whole blocks): one to the mat-vec, a
    /// few to the small batch, as <see cref="Dots"/> would send that many, the rest (or all n when the lookup did not
    /// apply: the small batch was already refused) to <paramref name="tiles"/>.
    /// </summary>
    private protected void AfterLookup(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride, int done,
        delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> tiles)
    {
        int rest = n - done;
        if (rest == 0) return;
        sbyte* qr = q + (long)done * w.Cols;
        int* dr = dots + (long)done * stride;
        if (done > 0 && rest == 1) MatVec(w, row0, row1, qr, dr);
        else if (done == 0 || !SmallBatch(w, row0, row1, qr, rest, dr, stride)) tiles(w, row0, row1, qr, rest, dr, stride);
    }
}
