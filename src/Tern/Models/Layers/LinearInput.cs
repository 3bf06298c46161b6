using Tern.Kernels;

namespace Tern.Models.Layers;

/// <summary>
/// The input rows of one or more linear layers for a batch of tokens: float values, plus their int8 quantization,
/// made once on first use and shared by every ternary layer that reads the same input (q, k and v; gate and up).
/// </summary>
public sealed class LinearInput
{
    private float[] _x = [];
    private sbyte[] _q = [];
    private float[] _factors = [];
    private bool _quantized;
    private bool _floatsKept = true;
    private ActivationScheme _scheme;

    public int Count { get; private set; }
    public int Cols { get; private set; }

    /// <summary>Float rows [Count][Cols].</summary>
    public Span<float> X => FloatsKept()._x.AsSpan(0, Count * Cols);
    public Span<float> Row(int t) => FloatsKept()._x.AsSpan(t * Cols, Cols);

    /// <summary>Prepares for <paramref name="count"/> rows of <paramref name="cols"/> values; the caller then fills <see cref="X"/>.</summary>
    public void Reset(int count, int cols)
    {
        Count = count; Cols = cols; _quantized = false; _floatsKept = true;
        if (_x.Length < count * cols) _x = new float[count * cols];
    }

    private LinearInput FloatsKept() => _floatsKept ? this
        : throw new InvalidOperationException("this input holds only its int8 rows (every layer reading it was ternary): its float rows were not kept");

    /// <summary>The int8 rows and one scale factor per row (quantized now if not yet done with this scheme).</summary>
    public (ReadOnlyMemory<sbyte> Q, ReadOnlyMemory<float> Factors) Quantized(ActivationScheme scheme, Threading.WorkerPool? pool = null)
    {
        if (!_quantized || _scheme != scheme)
        {
            FloatsKept();
            if (_q.Length < Count * Cols) _q = new sbyte[Count * Cols];
            if (_factors.Length < Count) _factors = new float[Count];
            _job.Input = this; _job.Scheme = scheme;
            if (pool is null) _job.Run(0, Count);
            else pool.For(Count, _job, work: (long)Count * Cols * 4);
            _quantized = true;
            _scheme = scheme;
        }
        return (_q.AsMemory(0, Count * Cols), _factors.AsMemory(0, Count));
    }

    /// <summary>Makes room for quantizing the rows one by one as they are written (<see cref="QuantizeRow"/>).</summary>
    internal void BeginRowQuantization()
    {
        if (_q.Length < Count * Cols) _q = new sbyte[Count * Cols];
        if (_factors.Length < Count) _factors = new float[Count];
    }

    /// <summary>Quantizes row t (after <see cref="BeginRowQuantization"/>), as <see cref="Quantized"/> would.</summary>
    internal void QuantizeRow(int t, ActivationScheme scheme) => QuantizeRow(t, scheme, Row(t));

    /// <summary>Quantizes <paramref name="row"/> as row t, for an input whose float rows are not kept.</summary>
    internal void QuantizeRow(int t, ActivationScheme scheme, ReadOnlySpan<float> row) => _factors[t] = Quantize(scheme, row, _q.AsSpan(t * Cols, Cols));

    /// <summary>
    /// Every row has been through <see cref="QuantizeRow"/> with <paramref name="scheme"/>. Without
    /// <paramref name="floatsKept"/> the float rows were never written: reading them throws until the next <see cref="Reset"/>.
    /// </summary>
    internal void EndRowQuantization(ActivationScheme scheme, bool floatsKept = true) { _quantized = true; _scheme = scheme; _floatsKept = floatsKept; }

    private readonly QuantizeJob _job = new();

    private sealed class QuantizeJob : Threading.IParallelBody
    {
        public LinearInput Input = null!;
        public ActivationScheme Scheme;

        public void Run(int start, int end)
        {
            var x = Input;
            for (int t = start; t < end; t++)
                x._factors[t] = Quantize(Scheme, x.Row(t), x._q.AsSpan(t * x.Cols, x.Cols));
        }
    }

    public static float Quantize(ActivationScheme scheme, ReadOnlySpan<float> x, Span<sbyte> q)
    {
        if (scheme == ActivationScheme.AbsMax) return ActivationQuantizer.Quantize(x, q);
        float max = -1;
        foreach (float v in x) max = Math.Max(max, MathF.Abs(v));
        float s = (float)(max / 127.0);
        float inv = (float)(1.0 / s);
        for (int i = 0; i < x.Length; i++)
            q[i] = (sbyte)Math.Clamp(Math.Round((double)(x[i] * inv), MidpointRounding.AwayFromZero), -128, 127);
        return s;
    }

    public static float Rescale(ActivationScheme scheme, int dot, float factor, float weightScale) => scheme switch
    {
        ActivationScheme.AbsMax => DotRescale.One(dot, factor, weightScale, 1f),
        _ => dot * (weightScale * factor),
    };
}
