using System.Runtime.Intrinsics;
using Tern.Kernels;
using Tern.Models;
using Tern.Models.Layers;
using Tern.Threading;

namespace Tern.Inference;

/// <summary>
/// The working buffers and basic operations of one forward pass over a batch of tokens (possibly from several
/// sequences). Architectures compose these operations; every operation treats each token independently, in a fixed
/// order, so a token's result is the same whether it is computed alone or in a batch, and on any number of threads.
/// </summary>
public sealed class ForwardState
{
    private readonly MatMulJob _matMul = new();
    private readonly StackedMatMulJob _stacked = new();
    private readonly AttentionJob _attention = new();
    private BatchToken[] _batch = [];

    internal ForwardState(ModelConfig config, WorkerPool pool)
    {
        Config = config;
        Pool = pool;
        _attention.State = this;
    }

    public ModelConfig Config { get; }
    public WorkerPool Pool { get; }
    public int Count { get; private set; }
    public ReadOnlySpan<BatchToken> Batch => _batch.AsSpan(0, Count);

    // Buffers, [Count][width] row-major.
    public float[] X = [];        // residual stream [dim]
    public float[] Q = [];        // [heads · head_dim]
    public float[] K = [];        // [kv_heads · head_dim]
    public float[] V = [];        // [kv_heads · head_dim]
    public float[] Attn = [];     // attention output [heads · head_dim]
    public float[] Tmp = [];      // projection output [dim]
    public float[] Gate = [];     // [ffn]
    public float[] Up = [];       // [ffn]
    public readonly LinearInput In = new();     // normalized input of the next projections

    internal void Begin(ReadOnlySpan<BatchToken> batch)
    {
        Count = batch.Length;
        if (_batch.Length < Count) _batch = new BatchToken[Count];
        batch.CopyTo(_batch);
        _ropeAngles = false; // the positions changed: Rope computes their cos/sin again, once for all layers
        var c = Config;
        Ensure(ref X, c.Dim); Ensure(ref Q, c.QDim); Ensure(ref K, c.KvDim); Ensure(ref V, c.KvDim);
        Ensure(ref Attn, c.QDim); Ensure(ref Tmp, c.Dim); Ensure(ref Gate, c.FfnDim); Ensure(ref Up, c.FfnDim);
    }

    private void Ensure(ref float[] buffer, int width)
    {
        if (buffer.Length < Count * width) buffer = new float[Count * width];
    }

    public Span<float> Rows(float[] buffer, int width) => buffer.AsSpan(0, Count * width);

    // ---- element-wise and per-token operations ----

    /// <summary>
    /// RMSNorm of each row of <paramref name="src"/> times <paramref name="gain"/>, written into <paramref name="dst"/>:
    /// y = (x · 1/sqrt(mean(x²) + eps)) · g. <paramref name="readers"/> are the layers that will read dst. When the first
    /// is ternary, each row is also quantized for it right after it is normalized, while it is still in L1: the same
    /// values the layer's own preparation would make, without reading the whole batch back from memory (at 512 tokens
    /// of 2560 floats, 5 MB). When every reader is ternary with that quantization, the float rows are not even written
    /// (normalized into a per-thread row, then quantized): dst then holds only its int8 rows.
    /// </summary>
    public void RmsNorm(float[] src, int width, float[]? gain, LinearInput dst, params ReadOnlySpan<Linear> readers) =>
        RunRmsNorm("rmsnorm", src, width, gain, dst, readers, RowStep.None, [], default);

    /// <summary>
    /// x += y, then <see cref="RmsNorm"/> of x into <paramref name="dst"/>, token by token: each row of x is added to
    /// and normalized while in L1 (the same operations as <see cref="Add"/> and <see cref="RmsNorm"/> one after the other).
    /// </summary>
    public void AddThenRmsNorm(float[] x, float[] y, int width, float[]? gain, LinearInput dst, params ReadOnlySpan<Linear> readers) =>
        RunRmsNorm("add+rmsnorm", x, width, gain, dst, readers, RowStep.Add, y, default);

    /// <summary>
    /// Gate ← act(Gate) · Up, then <see cref="RmsNorm"/> of Gate into <paramref name="dst"/>, token by token (the same
    /// operations as <see cref="GatedActivation"/> and <see cref="RmsNorm"/> one after the other, one pass over the rows).
    /// </summary>
    public void GatedActivationThenRmsNorm(Models.Architectures.FfnActivation act, float[]? gain, LinearInput dst, params ReadOnlySpan<Linear> readers) =>
        RunRmsNorm("ffn-activation+rmsnorm", Gate, Config.FfnDim, gain, dst, readers, RowStep.GatedActivation, Up, act);

    private void RunRmsNorm(string profileName, float[] src, int width, float[]? gain, LinearInput dst, ReadOnlySpan<Linear> readers, RowStep step, float[] other, Models.Architectures.FfnActivation act)
    {
        long __t = OpProfile.Start();
        dst.Reset(Count, width);
        ActivationScheme? scheme = readers.Length > 0 && readers[0] is TernaryLinear tl ? tl.Scheme : null;
        bool floats = true;
        if (scheme is { } s0)
        {
            dst.BeginRowQuantization();
            floats = false;
            foreach (var r in readers) floats |= r is not TernaryLinear { Scheme: var s } || s != s0;
        }
        _rmsNorm.Set(this, src, width, gain!, dst, scheme, floats, step, other, act);
        Pool.For(Count, _rmsNorm, work: (long)Count * width * 4);
        _rmsNorm.Set(this, [], 0, [], dst, null, true, RowStep.None, [], default);
        if (scheme is { } sc) dst.EndRowQuantization(sc, floats);
        OpProfile.Stop(profileName, __t);
    }

    /// <summary>What happens to a source row in place before it is normalized.</summary>
    private enum RowStep { None, Add, GatedActivation }

    private readonly RmsNormJob _rmsNorm = new();

    private sealed class RmsNormJob : IParallelBody
    {
        [ThreadStatic] private static float[]? t_row; // a normalized row that only its quantization needs
        private ForwardState _s = null!; private float[] _src = []; private int _width; private float[] _gain = []; private LinearInput _dst = null!;
        private ActivationScheme? _scheme; private bool _floats;
        private RowStep _step; private float[] _other = []; private Models.Architectures.FfnActivation _act;
        public void Set(ForwardState s, float[] src, int width, float[] gain, LinearInput dst, ActivationScheme? scheme, bool floats, RowStep step, float[] other, Models.Architectures.FfnActivation act)
        {
            _s = s; _src = src; _width = width; _gain = gain; _dst = dst; _scheme = scheme; _floats = floats; _step = step; _other = other; _act = act;
        }

        public void Run(int start, int end)
        {
            for (int t = start; t < end; t++)
            {
                var row = _src.AsSpan(t * _width, _width);
                if (_step == RowStep.Add) System.Numerics.Tensors.TensorPrimitives.Add(row, _other.AsSpan(t * _width, _width), row);
                else if (_step == RowStep.GatedActivation) Models.Architectures.Ffn.ApplyCore(_act, row, _other.AsSpan(t * _width, _width));
                if (_scheme is { } scheme && !_floats)
                {
                    var y = (t_row is { } b && b.Length >= _width ? b : (t_row = new float[_width])).AsSpan(0, _width);
                    RmsNormRow(row, _gain, y, _s.Config.RmsEps);
                    _dst.QuantizeRow(t, scheme, y);
                    continue;
                }
                RmsNormRow(row, _gain, _dst.Row(t), _s.Config.RmsEps);
                if (_scheme is { } sc) _dst.QuantizeRow(t, sc);
            }
        }
    }

    public static void RmsNormRow(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> y, float eps)
    {
        float mean = FloatDot.SumOfSquares(x) / x.Length;
        float scale = 1f / MathF.Sqrt(mean + eps);
        int i = 0, n = x.Length;
        if (g.Length < n || y.Length < n) throw new ArgumentException("gain or output shorter than the row");
        ref float px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float pg = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(g);
        ref float py = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(scale);
            for (; i <= n - 16; i += 16)
                (Vector512.LoadUnsafe(ref px, (nuint)i) * vs * Vector512.LoadUnsafe(ref pg, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(scale);
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref px, (nuint)i) * vs * Vector256.LoadUnsafe(ref pg, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) y[i] = x[i] * scale * g[i];
    }

    /// <summary>Gate ← act(Gate) · Up for every token, tokens split across the worker threads.</summary>
    public void GatedActivation(Models.Architectures.FfnActivation act)
    {
        _ffn.State = this; _ffn.Activation = act;
        Pool.For(Count, _ffn, work: (long)Count * Config.FfnDim * 8);
    }

    private readonly FfnJob _ffn = new();

    private sealed class FfnJob : IParallelBody
    {
        public ForwardState State = null!;
        public Models.Architectures.FfnActivation Activation;
        public void Run(int start, int end)
        {
            int ff = State.Config.FfnDim;
            Models.Architectures.Ffn.Apply(Activation, State.Gate.AsSpan(start * ff, (end - start) * ff), State.Up.AsSpan(start * ff, (end - start) * ff));
        }
    }

    /// <summary>x += y for every token's row, tokens split across the worker threads.</summary>
    public void Add(float[] x, float[] y, int width)
    {
        long __t = OpProfile.Start();
        _add.X = x; _add.Y = y; _add.Width = width;
        Pool.For(Count, _add, work: (long)Count * width);
        _add.X = _add.Y = [];
        OpProfile.Stop("add", __t);
    }

    private readonly AddJob _add = new();

    private sealed class AddJob : IParallelBody
    {
        public float[] X = [], Y = [];
        public int Width;
        public void Run(int start, int end) =>
            System.Numerics.Tensors.TensorPrimitives.Add(X.AsSpan(start * Width, (end - start) * Width), Y.AsSpan(start * Width, (end - start) * Width), X.AsSpan(start * Width, (end - start) * Width));
    }

    /// <summary>
    /// Rotary position embedding of Q and K, ggml's way: θ starts at the position and is multiplied by
    /// base^(−2/n_dims) per pair. Tokens are split across the worker threads. The cos/sin of each token's angles are
    /// computed by the first layer's call and kept for the other layers of the same batch (they depend only on the
    /// position).
    /// </summary>
    public void Rope(bool neox)
    {
        long __t = OpProfile.Start();
        int half = Config.RopeDim / 2;
        if (_ropeCos.Length < Count * half) { _ropeCos = new float[Count * half]; _ropeSin = new float[Count * half]; }
        _rope.State = this; _rope.Neox = neox; _rope.ComputeAngles = !_ropeAngles;
        Pool.For(Count, _rope, work: (long)Count * (Config.QDim + Config.KvDim) * 4);
        _ropeAngles = true;
        OpProfile.Stop("rope", __t);
    }

    private readonly RopeJob _rope = new();
    private float[] _ropeCos = [], _ropeSin = []; // [Count][RopeDim / 2]
    private bool _ropeAngles;

    private sealed class RopeJob : IParallelBody
    {
        public ForwardState State = null!;
        public bool Neox, ComputeAngles;

        public void Run(int start, int end)
        {
            var c = State.Config;
            int nDims = c.RopeDim, half = nDims / 2;
            float thetaScale = MathF.Pow(c.RopeTheta, -2.0f / nDims);
            for (int t = start; t < end; t++)
            {
                var cos = State._ropeCos.AsSpan(t * half, half);
                var sin = State._ropeSin.AsSpan(t * half, half);
                if (ComputeAngles)
                {
                    float theta = State._batch[t].Position;
                    for (int i = 0; i < half; i++)
                    {
                        cos[i] = MathF.Cos(theta);
                        sin[i] = MathF.Sin(theta);
                        theta *= thetaScale;
                    }
                }
                Rotate(State.Q.AsSpan(t * c.QDim, c.QDim), c.Heads, c.HeadDim, cos, sin, Neox);
                Rotate(State.K.AsSpan(t * c.KvDim, c.KvDim), c.KvHeads, c.HeadDim, cos, sin, Neox);
            }
        }

        private static void Rotate(Span<float> row, int heads, int hd, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool neox)
        {
            int half = cos.Length;
            for (int h = 0; h < heads; h++)
            {
                var v = row.Slice(h * hd, hd);
                int i = 0;
                if (neox && Vector256.IsHardwareAccelerated)
                {
                    // Pairs (i, i + n/2) are two contiguous halves: x0·cos − x1·sin and x0·sin + x1·cos lane by lane,
                    // the same rounded products and sums as the scalar loop (no fused multiply-add).
                    for (; i <= half - 8; i += 8)
                    {
                        var x0 = Vector256.Create<float>(v.Slice(i, 8));
                        var x1 = Vector256.Create<float>(v.Slice(i + half, 8));
                        var vc = Vector256.Create<float>(cos.Slice(i, 8));
                        var vs = Vector256.Create<float>(sin.Slice(i, 8));
                        (x0 * vc - x1 * vs).CopyTo(v.Slice(i, 8));
                        (x0 * vs + x1 * vc).CopyTo(v.Slice(i + half, 8));
                    }
                }
                for (; i < half; i++)
                {
                    // NEOX pairs dims (i, i + n/2); the "normal" style pairs adjacent dims (2i, 2i + 1).
                    int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
                    float x0 = v[a], x1 = v[b];
                    v[a] = x0 * cos[i] - x1 * sin[i];
                    v[b] = x0 * sin[i] + x1 * cos[i];
                }
            }
        }
    }

    /// <summary>Writes this batch's K and V rows into each token's cache at its position.</summary>
    public void StoreKv(int layer)
    {
        long __t = OpProfile.Start();
        int kvd = Config.KvDim;
        for (int t = 0; t < Count; t++)
        {
            var bt = _batch[t];
            int hd = Config.HeadDim;
            for (int h = 0; h < Config.KvHeads; h++)
                bt.Cache.Store(layer, h, bt.Position, K.AsSpan(t * kvd + h * hd, hd), V.AsSpan(t * kvd + h * hd, hd));
        }
        OpProfile.Stop("store-kv", __t);
    }

    internal static void RoundToF16(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)(Half)x[i];
    }

    // ---- parallel operations ----

    /// <summary>y = W x for every token, output rows split across the worker threads.</summary>
    public void MatMul(Linear w, LinearInput x, float[] y)
    {
        if (x.Cols != w.In) throw new InvalidOperationException($"{w.Name}: input width {x.Cols}, expected {w.In}");
        long t = OpProfile.Start();
        w.Prepare(x, Pool);
        OpProfile.Stop("quantize", t);
        MatMulRows(w, x, y);
    }

    /// <summary>
    /// y_i = W_i x for two or three projections of the same input (Q/K/V, gate/up) as one parallel operation: the input
    /// is quantized once, the rows of all of them are split across the threads together (one wait instead of three,
    /// and a thread that finishes one matrix goes straight on to the next).
    /// </summary>
    public void MatMul(LinearInput x, Linear w0, float[] y0, Linear w1, float[] y1, Linear? w2 = null, float[]? y2 = null)
    {
        foreach (var w in (ReadOnlySpan<Linear?>)[w0, w1, w2])
            if (w is not null && x.Cols != w.In) throw new InvalidOperationException($"{w.Name}: input width {x.Cols}, expected {w.In}");
        if (!SharePreparation(w0, w1, w2))
        {
            // The input keeps one quantized form; projections quantizing it differently run one after another.
            MatMul(w0, x, y0);
            MatMul(w1, x, y1);
            if (w2 is not null) MatMul(w2, x, y2!);
            return;
        }
        long t = OpProfile.Start();
        w0.Prepare(x, Pool);
        w1.Prepare(x, Pool);
        w2?.Prepare(x, Pool);
        OpProfile.Stop("quantize", t);
        t = OpProfile.Start();
        _stacked.Set(x, w0, y0, w1, y1, w2, y2);
        RowsFor(_stacked.Rows, _stacked, x.Count, x.Cols);
        _stacked.Set(null, null!, null!, null!, null!, null, null);
        OpProfile.Stop(w0 is TernaryLinear ? "matmul-ternary" : "matmul-float", t);
    }

    /// <summary>
    /// Rows of a product across the threads: one token's product streams its weights from memory, so the rows go out
    /// in pieces taken as threads finish (a thread the machine slows does not hold the others up at the end); larger
    /// batches keep one fixed range per thread (the mat-mat kernels amortize their per-call work over long ranges).
    /// </summary>
    private void RowsFor(int rows, IParallelBody job, int tokens, int cols)
    {
        long work = (long)rows * cols * tokens; // small products (tiny models) stay on fewer threads: see MinPieceWork
        if (tokens == 1) Pool.ForPieces(rows, job, granule: 16, pieces: WorkerPool.PiecesFor(work, 8 * Pool.ThreadCount));
        else Pool.For(rows, job, granule: 16, work);
    }

    /// <summary>y = W x where x may have a different row count than the batch (e.g. only the rows whose logits are wanted).</summary>
    public void MatMulRows(Linear w, LinearInput x, float[] y)
    {
        long __t = OpProfile.Start();
        _matMul.Set(w, x, y);
        RowsFor(w.Out, _matMul, x.Count, x.Cols);
        _matMul.Set(null, null, null);
        OpProfile.Stop(w is TernaryLinear ? "matmul-ternary" : "matmul-float", __t);
    }

    /// <summary>Causal self-attention of every token over its own sequence's cache (positions 0..its own), into <see cref="Attn"/>.</summary>
    public void Attention(int layer, float scale)
    {
        long __t = OpProfile.Start();
        _attention.Layer = layer;
        _attention.Scale = scale;
        _attention.NextCall();
        long work = 0; // scores and weighted sums: 2 · heads · head size per cached position of each token
        for (int t = 0; t < Count; t++) work += 2L * Config.Heads * Config.HeadDim * (_batch[t].Position + 1);
        Pool.For(Count * Config.KvHeads, _attention, work: work);
        OpProfile.Stop("attention", __t);
    }

    /// <summary>True when the projections prepare the input identically (ternary with one activation scheme, or all float).</summary>
    private static bool SharePreparation(Linear w0, Linear w1, Linear? w2) =>
        (w0, w1, w2) switch
        {
            (TernaryLinear a, TernaryLinear b, null) => a.Scheme == b.Scheme,
            (TernaryLinear a, TernaryLinear b, TernaryLinear c) => a.Scheme == b.Scheme && a.Scheme == c.Scheme,
            _ => w0 is not TernaryLinear && w1 is not TernaryLinear && w2 is not TernaryLinear,
        };

    /// <summary>Rows [0, Rows) run over the matrices one after another: W0's rows, then W1's, then W2's.</summary>
    private sealed class StackedMatMulJob : IParallelBody
    {
        private LinearInput? _x;
        private readonly Linear?[] _w = new Linear?[3];
        private readonly float[]?[] _y = new float[]?[3];
        public int Rows { get; private set; }

        public void Set(LinearInput? x, Linear w0, float[] y0, Linear w1, float[] y1, Linear? w2, float[]? y2)
        {
            _x = x; _w[0] = w0; _y[0] = y0; _w[1] = w1; _y[1] = y1; _w[2] = w2; _y[2] = y2;
            Rows = x is null ? 0 : w0.Out + w1.Out + (w2?.Out ?? 0);
        }

        public void Run(int start, int end)
        {
            int offset = 0;
            for (int i = 0; i < 3 && _w[i] is { } w; offset += w.Out, i++)
            {
                int lo = Math.Max(start, offset), hi = Math.Min(end, offset + w.Out);
                if (lo < hi) w.ComputeRows(_x!, _y[i].AsSpan(0, _x!.Count * w.Out), lo - offset, hi - offset);
            }
        }
    }

    private sealed class MatMulJob : IParallelBody
    {
        private Linear? _w; private LinearInput? _x; private float[]? _y;
        public void Set(Linear? w, LinearInput? x, float[]? y) { _w = w; _x = x; _y = y; }
        public void Run(int start, int end) => _w!.ComputeRows(_x!, _y.AsSpan(0, _x!.Count * _w.Out), start, end);
    }

    /// <summary>
    /// o = Σ_p w[p] · v_p, summed in order of p for every element (v_p = values[p · stride + offset ..]). 64 outputs
    /// at a time stay in registers across all positions; the per-element order is that of the plain loop.
    /// </summary>
    internal static void WeightedSum(ReadOnlySpan<float> w, ReadOnlySpan<float> values, int stride, int offset, Span<float> o)
    {
        int hd = o.Length, j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float pv = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(values);
            for (; j <= hd - 64; j += 64)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int p = 0; p < w.Length; p++)
                {
                    var vw = Vector512.Create(w[p]);
                    nuint at = (nuint)(p * stride + offset + j);
                    a0 = Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, at), a0);
                    a1 = Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, at + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, at + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, at + 48), a3);
                }
                a0.CopyTo(o[j..]); a1.CopyTo(o[(j + 16)..]); a2.CopyTo(o[(j + 32)..]); a3.CopyTo(o[(j + 48)..]);
            }
        }
        if (j < hd)
        {
            var rest = o[j..];
            rest.Clear();
            for (int p = 0; p < w.Length; p++) AddScaled(rest, values.Slice(p * stride + offset + j, hd - j), w[p]);
        }
    }

    /// <summary>o += w · v element-wise, fused (one rounding: each lane is computed alike on every ISA).</summary>
    internal static void AddScaled(Span<float> o, ReadOnlySpan<float> v, float w)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vw = Vector512.Create(w);
            ref float po = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(o);
            ref float pv = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(v);
            for (; i <= o.Length - 16; i += 16)
                Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, (nuint)i), Vector512.LoadUnsafe(ref po, (nuint)i)).StoreUnsafe(ref po, (nuint)i);
        }
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
        {
            var vw = System.Runtime.Intrinsics.Vector256.Create(w);
            ref float po = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(o);
            ref float pv = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(v);
            for (; i <= o.Length - 8; i += 8)
                System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(vw, System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref pv, (nuint)i), System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref po, (nuint)i))
                    .StoreUnsafe(ref po, (nuint)i);
        }
        for (; i < o.Length; i++) o[i] = MathF.FusedMultiplyAdd(w, v[i], o[i]);
    }

}
