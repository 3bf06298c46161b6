using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tern.Kernels;
using Tern.Threading;

namespace Tern.Models.Layers;

/// <summary>
/// An exact top-k output layer. An int8 copy of the F16 output matrix (half the bytes) is scanned to get every
/// logit to within a proven bound; only the rows that could be among the k largest are then recomputed exactly from
/// the F16 matrix. The k largest logits (and any rows asked for) are therefore exactly those of the full product, so
/// greedy decoding and top-k-first sampling pick exactly the same tokens; every other logit is −∞.
/// </summary>
/// <remarks>
/// Bound, per row r with s_r = max|w_r|/127, q_r = round(w_r/s_r), E_r = max_i |w_ri − s_r·q_ri| (measured when built)
/// and K = row length: |exact_r − approx_r| ≤ ‖x‖₁·(E_r + 2·γ_K·127·s_r) with γ_K = K·u/(1 − K·u), u = 2⁻²⁴.
/// The first term is the weight rounding; the second covers float rounding in both the approximate and the exact
/// (canonical-order) dot products, whatever their summation order.
/// </remarks>
public sealed unsafe class TopKOutput : IDisposable
{
    private readonly FloatLinear _exact;
    private readonly sbyte* _q;       // [rows][cols]
    private readonly float[] _scale;  // s_r
    private readonly float[] _margin; // per unit of ‖x‖₁: E_r + 3·γ_K·127·s_r, rounded up

    public TopKOutput(FloatLinear exact, WorkerPool pool)
    {
        if (exact.Weights.Type != Gguf.GgmlType.F16) throw new NotSupportedException("the top-k output layer needs an F16 output matrix");
        _exact = exact;
        Rows = exact.Out; Cols = exact.In;
        _q = (sbyte*)NativeMemory.AlignedAlloc((nuint)((long)Rows * Cols), 64);
        _scale = new float[Rows];
        _margin = new float[Rows];
        var build = new BuildJob(this);
        pool.For(Rows, build, granule: 64);
    }

    public int Rows { get; }
    public int Cols { get; }
    /// <summary>Bytes of the int8 copy (read per token instead of the F16 matrix).</summary>
    public long CopyBytes => (long)Rows * Cols + Rows * 8L;
    /// <summary>Per-caller buffers: the layer itself is read-only and shared by every evaluator of the model.</summary>
    public sealed class Scratch
    {
        internal float[] Approx = [];
        internal readonly ApproxJob Job = new();
        internal readonly List<int> Candidates = new();
        internal readonly LinearInput Input = new();
        internal float[] Heap = []; // the k largest lower bounds, reused from token to token
        /// <summary>How many rows the last call recomputed exactly (summed over its tokens).</summary>
        public int LastCandidateCount { get; internal set; }
    }

    /// <summary>
    /// For each of <paramref name="tokens"/> input rows (<paramref name="x"/> [tokens][Cols], <paramref name="logits"/>
    /// [tokens][Rows]), writes the exact logit of every row that can be among its <paramref name="k"/> largest (ties
    /// included) and of every row in its <paramref name="alsoExact"/>; all other entries become −∞. The int8 matrix is
    /// streamed once for all rows: each block of four weight rows is applied to every token while it is in L1. Each
    /// token's result is what it gets alone.
    /// </summary>
    public void Compute(ReadOnlySpan<float> x, int tokens, ReadOnlySpan<int> k, IReadOnlyList<IReadOnlyCollection<int>> alsoExact,
        Span<float> logits, WorkerPool pool, Scratch sc)
    {
        if (tokens < 1 || x.Length < tokens * Cols || logits.Length < tokens * Rows || k.Length < tokens || alsoExact.Count < tokens)
            throw new ArgumentException("the inputs, logits, k and exact rows must each cover every token");
        foreach (int kk in k[..tokens]) if (kk < 1) throw new ArgumentOutOfRangeException(nameof(k));
        if (sc.Approx.Length < tokens * Rows) sc.Approx = new float[tokens * Rows];
        fixed (float* px = x)
        {
            sc.Job.Owner = this; sc.Job.X = px; sc.Job.Tokens = tokens; sc.Job.Approx = sc.Approx;
            pool.For(Rows, sc.Job, granule: 64, work: (long)Rows * Cols * tokens);
            sc.Job.X = null;
        }
        sc.LastCandidateCount = 0;
        for (int t = 0; t < tokens; t++)
        {
            var xt = x.Slice(t * Cols, Cols);
            float l1 = 0;
            foreach (float v in xt) l1 += MathF.Abs(v);
            l1 *= 1.001f; // absorbs the rounding of this sum (γ_K ≤ 1e-3 for rows shorter than 16k)
            var approx = sc.Approx.AsSpan(t * Rows, Rows);
            // The k-th largest lower bound; every row whose upper bound reaches it is a candidate.
            int kk = Math.Min(k[t], Rows);
            if (sc.Heap.Length < kk) sc.Heap = new float[kk];
            float kth = KthLargestLowerBound(approx, sc.Heap.AsSpan(0, kk), l1);
            var candidates = sc.Candidates;
            candidates.Clear();
            for (int r = 0; r < Rows; r++)
                if (approx[r] + _margin[r] * l1 >= kth) candidates.Add(r);
            foreach (int r in alsoExact[t]) if ((uint)r < (uint)Rows && !(approx[r] + _margin[r] * l1 >= kth)) candidates.Add(r);
            var row = logits.Slice(t * Rows, Rows);
            row.Fill(float.NegativeInfinity);
            sc.Input.Reset(1, Cols);
            xt.CopyTo(sc.Input.X);
            foreach (int r in candidates) _exact.ComputeRows(sc.Input, row, r, r + 1);
            sc.LastCandidateCount += candidates.Count;
        }
    }

    private float KthLargestLowerBound(ReadOnlySpan<float> approx, Span<float> heap, float l1)
    {
        // Min-heap of the k largest lower bounds (k = heap.Length).
        int k = heap.Length, n = 0;
        for (int r = 0; r < Rows; r++)
        {
            float lb = approx[r] - _margin[r] * l1;
            if (n < k) { heap[n++] = lb; if (n == k) heap.Sort(); continue; }
            if (lb <= heap[0]) continue;
            heap[0] = lb;
            // sift down
            int i = 0;
            while (true)
            {
                int c = 2 * i + 1;
                if (c >= k) break;
                if (c + 1 < k && heap[c + 1] < heap[c]) c++;
                if (heap[i] <= heap[c]) break;
                (heap[i], heap[c]) = (heap[c], heap[i]);
                i = c;
            }
        }
        // The smallest, NaN if any bound is NaN (as Enumerable.Min was; a −0 for +0 changes no comparison below).
        return n < k ? float.NegativeInfinity : System.Numerics.Tensors.TensorPrimitives.Min(heap);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_q);
    }

    private sealed class BuildJob(TopKOutput o) : IParallelBody
    {
        public void Run(int start, int end)
        {
            int cols = o.Cols;
            var row = new float[cols];
            double gamma = cols * Math.Pow(2, -24) / (1 - cols * Math.Pow(2, -24));
            for (int r = start; r < end; r++)
            {
                o._exact.Weights.DecodeRow(r, row);
                float max = 0;
                foreach (float v in row) max = Math.Max(max, MathF.Abs(v));
                float s = max / 127f;
                float inv = s > 0 ? 1f / s : 0f;
                var q = new Span<sbyte>(o._q + (long)r * cols, cols);
                double err = 0;
                for (int i = 0; i < cols; i++)
                {
                    q[i] = (sbyte)Math.Clamp(MathF.Round(row[i] * inv), -127, 127);
                    err = Math.Max(err, Math.Abs((double)row[i] - (double)s * q[i]));
                }
                o._scale[r] = s;
                // Rounded up generously: the bound must hold, a slightly larger margin only adds candidates.
                o._margin[r] = (float)((err + 3 * gamma * 127 * s) * 1.001 + 1e-30);
                if (float.IsNaN(max) || float.IsInfinity(max)) o._margin[r] = float.PositiveInfinity; // always recomputed
            }
        }
    }

    internal sealed class ApproxJob : IParallelBody
    {
        public TopKOutput Owner = null!;
        public float* X;          // [Tokens][Cols]
        public int Tokens = 1;
        public float[] Approx = []; // [Tokens][Rows]
        private const int PrefetchBytes = 16384;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            var o = Owner;
            int cols = o.Cols;
            int r = start;
            // Weight rows outermost, tokens inside: a block of rows is read from memory once and from L1 for the other tokens.
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
                for (; r + 4 <= end; r += 4)
                    for (int t = 0; t < Tokens; t++) Four(o, r, cols, X + (long)t * cols, t * o.Rows);
            for (; r < end; r++)
                for (int t = 0; t < Tokens; t++) One(o, r, cols, X + (long)t * cols, t * o.Rows);
        }

        private void One(TopKOutput o, int r, int cols, float* x, int at)
        {
            sbyte* q = o._q + (long)r * cols;
            float sum;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var acc = Vector512<float>.Zero;
                for (; i <= cols - 16; i += 16)
                {
                    var w = Vector512.ConvertToSingle(Vector512.WidenLower(Vector512.WidenLower(Vector128.Load(q + i).ToVector256Unsafe().ToVector512Unsafe())));
                    acc += w * Vector512.Load(x + i);
                }
                sum = Vector512.Sum(acc);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var acc = Vector256<float>.Zero;
                for (; i <= cols - 8; i += 8)
                {
                    var w = Vector256.ConvertToSingle(Vector256.WidenLower(Vector256.WidenLower(Vector128.CreateScalar(*(long*)(q + i)).AsSByte().ToVector256Unsafe())));
                    acc += w * Vector256.Load(x + i);
                }
                sum = Vector256.Sum(acc);
            }
            else if (Vector128.IsHardwareAccelerated) // ARM64: 16 weights per load, widened twice to four int32 vectors
            {
                Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; i <= cols - 16; i += 16)
                {
                    var (lo, hi) = Vector128.Widen(Vector128.Load(q + i));
                    var (w0, w1) = Vector128.Widen(lo);
                    var (w2, w3) = Vector128.Widen(hi);
                    a0 += Vector128.ConvertToSingle(w0) * Vector128.Load(x + i);
                    a1 += Vector128.ConvertToSingle(w1) * Vector128.Load(x + i + 4);
                    a2 += Vector128.ConvertToSingle(w2) * Vector128.Load(x + i + 8);
                    a3 += Vector128.ConvertToSingle(w3) * Vector128.Load(x + i + 12);
                }
                sum = Vector128.Sum((a0 + a1) + (a2 + a3));
            }
            else sum = 0;
            for (; i < cols; i++) sum += q[i] * x[i];
            Approx[at + r] = sum * o._scale[r];
        }

        /// <summary>
        /// Four rows at once: four independent fused chains share each x load (one chain per row was bound by the
        /// latency of its adds). Any summation order is covered by the bound.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Four(TopKOutput o, int r, int cols, float* input, int at)
        {
            sbyte* q0 = o._q + (long)r * cols, q1 = q0 + cols, q2 = q1 + cols, q3 = q2 + cols;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            int i = 0;
            for (; i <= cols - 16; i += 16)
            {
                if ((i & 63) == 0) // one line per row every 64 values, 16 KB ahead (as the F16 dot: the hardware prefetcher alone lags)
                {
                    System.Runtime.Intrinsics.X86.Sse.Prefetch0(q0 + i + PrefetchBytes); System.Runtime.Intrinsics.X86.Sse.Prefetch0(q1 + i + PrefetchBytes);
                    System.Runtime.Intrinsics.X86.Sse.Prefetch0(q2 + i + PrefetchBytes); System.Runtime.Intrinsics.X86.Sse.Prefetch0(q3 + i + PrefetchBytes);
                }
                var x = Vector512.Load(input + i);
                a0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(Vector128.Load(q0 + i))), x, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(Vector128.Load(q1 + i))), x, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(Vector128.Load(q2 + i))), x, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(Vector128.Load(q3 + i))), x, a3);
            }
            float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
            for (; i < cols; i++)
            {
                s0 += q0[i] * input[i]; s1 += q1[i] * input[i]; s2 += q2[i] * input[i]; s3 += q3[i] * input[i];
            }
            Approx[at + r] = s0 * o._scale[r];
            Approx[at + r + 1] = s1 * o._scale[r + 1];
            Approx[at + r + 2] = s2 * o._scale[r + 2];
            Approx[at + r + 3] = s3 * o._scale[r + 3];
        }
    }
}
