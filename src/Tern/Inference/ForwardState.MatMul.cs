using Tern.Models.Layers;
using Tern.Threading;

namespace Tern.Inference;

public sealed partial class ForwardState
{
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
}
