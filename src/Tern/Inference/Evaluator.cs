using Tern.Kernels;
using Tern.Models;
using Tern.Models.Layers;
using Tern.Threading;

namespace Tern.Inference;

/// <summary>
/// Runs forward passes of a shared <see cref="Model"/> with its own worker threads and buffers. A batch may mix
/// tokens of several sequences, each at its own position in its own <see cref="KvCache"/>. One evaluator runs one
/// batch at a time; use one evaluator per concurrent caller.
/// </summary>
public sealed class Evaluator : IDisposable
{
    private readonly ForwardState _state;
    private float[] _logits = [];
    private readonly BatchToken[] _single = new BatchToken[1];
    private readonly int[] _singleK = new int[1];
    private readonly IReadOnlyCollection<int>[] _singleExact = [[]];

    public Evaluator(Model model, int threads = 0)
    {
        Model = model;
        Pool = new WorkerPool(threads > 0 ? threads : WorkerPool.DefaultThreadCount);
        _state = new ForwardState(model.Config, Pool) { RopeFreqs = model.RopeFreqs };
    }

    public Model Model { get; }
    public WorkerPool Pool { get; }
    public int Threads => Pool.ThreadCount;

    /// <summary>Largest number of tokens sent through one forward pass by <see cref="Decode"/>.</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>
    /// One forward pass. Returns the logits of the tokens whose <see cref="BatchToken.WantLogits"/> is set, in batch
    /// order, [count][vocab]; the span is valid until the next call.
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<BatchToken> batch) => Forward(batch, [], []);

    /// <summary>
    /// <see cref="Forward(ReadOnlySpan{BatchToken})"/> whose output layer computes, for the i-th row that wants logits,
    /// only the logits that can be among its <paramref name="topK"/>[i] largest (exactly, through
    /// <see cref="TopKOutput"/>) plus those of <paramref name="alsoExact"/>[i]; the rest are −∞. The int8 output copy is
    /// streamed once for all rows. Falls back to the full output layer when the model's output matrix is not F16, or
    /// when a row's k is 0 or less (it needs every logit), or when <paramref name="topK"/> is empty.
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<BatchToken> batch, ReadOnlySpan<int> topK, IReadOnlyList<IReadOnlyCollection<int>> alsoExact)
    {
        var c = Model.Config;
        int wanted = Validate(batch);
        if (topK.Length > 0 && (topK.Length != wanted || alsoExact.Count != wanted)) // before any cache is written
            throw new ArgumentException($"{wanted} rows want logits but {topK.Length} k and {alsoExact.Count} exact-row sets were given");
        if (batch.IsEmpty) return [];
        var s = _state;
        RunLayers(batch);

        // Final norm and output layer, only for the rows whose logits are wanted.
        s.In.Reset(wanted, c.Dim);
        for (int t = 0, j = 0; t < s.Count; t++)
            if (batch[t].WantLogits)
                RmsNormKernel.Row(s.X.AsSpan(t * c.Dim, c.Dim), Model.OutputNorm, s.In.Row(j++), c.RmsEps);
        if (_logits.Length < wanted * c.VocabSize) _logits = new float[wanted * c.VocabSize];
        if (wanted == 0) return [];
        bool exactTopK = topK.Length > 0;
        foreach (int k in topK) exactTopK &= k > 0;
        var topKOutput = exactTopK ? Model.GetTopKOutput(Pool) : null;
        if (topKOutput is not null)
        {
            long tk = OpProfile.Start();
            topKOutput.Compute(s.In.X, wanted, topK, alsoExact, _logits, Pool, _topKScratch);
            OpProfile.Stop("output top-k", tk);
        }
        else
        {
            Model.Output.Prepare(s.In);
            s.MatMulRows(Model.Output, s.In, _logits);
        }
        return _logits.AsSpan(0, wanted * c.VocabSize);
    }

    /// <summary>Checks every token, position and cache of a batch; returns how many tokens want logits.</summary>
    private int Validate(ReadOnlySpan<BatchToken> batch)
    {
        var c = Model.Config;
        int wanted = 0;
        foreach (var bt in batch)
        {
            if ((uint)bt.Token >= (uint)c.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(batch), $"token id {bt.Token} is outside the vocabulary (0..{c.VocabSize - 1})");
            if (bt.Cache.Layers != c.Layers || bt.Cache.KvDim != c.KvDim)
                throw new ArgumentException("KV cache was made for another model");
            if ((uint)bt.Position >= (uint)bt.Cache.Capacity)
                throw new ContextFullException(bt.Position + 1, bt.Cache.Capacity);
            if (bt.WantLogits) wanted++;
        }
        // Storage for every position written (caches grow on demand; here, before any worker writes to them).
        foreach (var bt in batch) bt.Cache.EnsurePositions(bt.Position + 1);
        return wanted;
    }

    private void RunLayers(ReadOnlySpan<BatchToken> batch)
    {
        var c = Model.Config;
        var s = _state;
        s.Begin(batch);
        long t0 = OpProfile.Start();
        for (int t = 0; t < s.Count; t++)
            Model.TokenEmbedding.DecodeRow(batch[t].Token, s.X.AsSpan(t * c.Dim, c.Dim));
        OpProfile.Stop("embedding", t0);
        for (int l = 0; l < c.Layers; l++)
        {
            long tl = OpProfile.Start();
            Model.Forward.Layer(s, Model.Layers[l], l);
            OpProfile.Stop("layers (total)", tl);
        }
    }

    /// <summary>
    /// A text embedding: the final hidden states (after the output norm) of <paramref name="tokens"/>, averaged over
    /// the tokens and scaled to unit L2 length. Runs in batches of <see cref="MaxBatch"/> through a cache of its own.
    /// </summary>
    public float[] Embed(ReadOnlySpan<int> tokens, KvCacheType cacheType = KvCacheType.F32)
    {
        if (tokens.IsEmpty) throw new ArgumentException("nothing to embed: no tokens", nameof(tokens));
        var c = Model.Config;
        using var seq = new Sequence(Model, tokens.Length, cacheType);
        var sum = new double[c.Dim];
        var row = new float[c.Dim];
        var batch = new BatchToken[Math.Min(tokens.Length, MaxBatch)];
        for (int start = 0; start < tokens.Length; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, tokens.Length - start);
            for (int i = 0; i < n; i++) batch[i] = new BatchToken(tokens[start + i], start + i, seq.Cache, false);
            Validate(batch.AsSpan(0, n));
            RunLayers(batch.AsSpan(0, n));
            for (int t = 0; t < n; t++)
            {
                RmsNormKernel.Row(_state.X.AsSpan(t * c.Dim, c.Dim), Model.OutputNorm, row, c.RmsEps);
                for (int d = 0; d < c.Dim; d++) sum[d] += row[d];
            }
            seq.Append(tokens.Slice(start, n));
        }
        double norm = Math.Sqrt(sum.Sum(v => v * v));
        var result = new float[c.Dim];
        for (int d = 0; d < c.Dim; d++) result[d] = norm > 0 ? (float)(sum[d] / norm) : 0f; // the mean's 1/n cancels in the normalization
        return result;
    }

    private readonly TopKOutput.Scratch _topKScratch = new();

    /// <summary>Rows the last <see cref="DecodeNextTopK"/> recomputed exactly.</summary>
    public int LastTopKCandidates => _topKScratch.LastCandidateCount;

    /// <summary>
    /// Like <see cref="DecodeNext"/>, but computes only the logits that can be among the <paramref name="k"/> largest
    /// (exactly, through <see cref="TopKOutput"/>) plus those of <paramref name="alsoExact"/>; the rest are −∞. Falls
    /// back to the full output layer when the model's output matrix is not F16.
    /// </summary>
    public Span<float> DecodeNextTopK(Sequence seq, int token, int k, IReadOnlyCollection<int> alsoExact)
    {
        if (seq.Length + 1 > seq.Cache.Capacity) throw new ContextFullException(seq.Length + 1, seq.Cache.Capacity);
        _single[0] = new BatchToken(token, seq.Length, seq.Cache, true);
        _singleK[0] = k;
        _singleExact[0] = alsoExact;
        Forward(_single, _singleK, _singleExact);
        _singleExact[0] = [];
        seq.Append(token);
        return _logits.AsSpan(0, Model.Config.VocabSize);
    }

    /// <summary>
    /// Feeds <paramref name="tokens"/> to a sequence (in batches of at most <see cref="MaxBatch"/>) and returns the
    /// logits of the last token, or of every token when <paramref name="allLogits"/> is set ([count][vocab]).
    /// </summary>
    public float[] Decode(Sequence seq, ReadOnlySpan<int> tokens, bool allLogits = false)
    {
        int vocab = Model.Config.VocabSize;
        if (seq.Length + tokens.Length > seq.Cache.Capacity)
            throw new ContextFullException(seq.Length + tokens.Length, seq.Cache.Capacity);
        var result = new float[(allLogits ? tokens.Length : 1) * vocab];
        var batch = new BatchToken[Math.Min(tokens.Length, MaxBatch)];
        int outRow = 0;
        for (int start = 0; start < tokens.Length; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, tokens.Length - start);
            for (int i = 0; i < n; i++)
            {
                bool last = start + i == tokens.Length - 1;
                batch[i] = new BatchToken(tokens[start + i], seq.Length + i, seq.Cache, allLogits || last);
            }
            var logits = Forward(batch.AsSpan(0, n));
            logits.CopyTo(result.AsSpan(outRow * vocab));
            outRow += logits.Length / vocab;
            seq.Append(tokens.Slice(start, n));
        }
        return result;
    }

    /// <summary>
    /// Feeds one token to a sequence and returns its logits in the evaluator's own buffer (valid until the next call,
    /// may be modified by the caller). Allocates nothing: this is the generation hot path.
    /// </summary>
    public Span<float> DecodeNext(Sequence seq, int token)
    {
        if (seq.Length + 1 > seq.Cache.Capacity) throw new ContextFullException(seq.Length + 1, seq.Cache.Capacity);
        _single[0] = new BatchToken(token, seq.Length, seq.Cache, true);
        Forward(_single);
        seq.Append(token);
        return _logits.AsSpan(0, Model.Config.VocabSize);
    }

    public void Dispose() => Pool.Dispose();
}

/// <summary>The prompt or conversation does not fit the context (KV cache) size.</summary>
public sealed class ContextFullException(int needed, int capacity)
    : Exception($"the context is full: {needed} tokens needed, the context holds {capacity} (raise -c/--ctx-size or shorten the prompt)")
{
    public int Needed { get; } = needed;
    public int Capacity { get; } = capacity;
}
