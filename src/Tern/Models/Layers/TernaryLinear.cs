using Tern.Kernels;

namespace Tern.Models.Layers;

/// <summary>A ternary projection: int8 activations × ternary weights, exact integer dot, float rescale.</summary>
public sealed class TernaryLinear : Linear
{
    public TernaryLinear(TernaryMatrix w, ITernaryKernel kernel, ActivationScheme scheme, float extraScale = 1f)
        : base(w.Name, w.Cols, w.Rows)
    {
        if (!kernel.Supports(w)) throw new NotSupportedException($"kernel {kernel.Name} cannot run {w}");
        Weights = w; Kernel = kernel; Scheme = scheme; ExtraScale = extraScale;
    }

    public TernaryMatrix Weights { get; }
    public ITernaryKernel Kernel { get; }
    public ActivationScheme Scheme { get; }
    /// <summary>The optional `.scale` tensor of 1bitLLM files (1 when absent).</summary>
    public float ExtraScale { get; }

    public override long WeightBytes => Weights.ByteSize;

    public override void Prepare(LinearInput x, Threading.WorkerPool? pool = null) => x.Quantized(Scheme, pool);

    public override void ComputeRows(LinearInput x, Span<float> y, int row0, int row1)
    {
        var (q, factors) = x.Quantized(Scheme);
        int n = x.Count, rows = row1 - row0;
        if (Scheme == ActivationScheme.AbsMax)
        {
            // (float)D / a · s_w (· extra), written by the kernel (fused into its output step where it can).
            Kernel.ScaledDots(Weights, row0, row1, q.Span, n, factors.Span, ExtraScale, y.Slice(row0), Out);
            return;
        }
        // Dots for this row range only, [n][rows], so threads never share a buffer.
        int need = n * rows;
        var dots = DotRescale.Scratch(need);
        Kernel.Dots(Weights, row0, row1, q.Span, n, dots.AsSpan(0, need), rows);
        var f = factors.Span;
        for (int t = 0; t < n; t++)
        {
            var yt = y.Slice(t * Out + row0, rows);
            var dt = dots.AsSpan(t * rows, rows);
            for (int i = 0; i < rows; i++)
            {
                float v = LinearInput.Rescale(Scheme, dt[i], f[t], Weights.Scale);
                yt[i] = ExtraScale == 1f ? v : v * ExtraScale;
            }
        }
    }
}
