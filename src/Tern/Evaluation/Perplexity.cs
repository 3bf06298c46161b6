using Tern.Inference;

namespace Tern.Evaluation;

/// <summary>One scored position: the logits at <see cref="Position"/> of window <see cref="Chunk"/> predicting <see cref="Target"/>.</summary>
public delegate void ScoredRow(int chunk, int position, int target, ReadOnlySpan<float> logits);

/// <summary>The running result after a window: its number (from 1) and the perplexity of every window so far.</summary>
public readonly record struct ChunkPerplexity(int Chunk, double RunningPerplexity);

/// <summary>Perplexity over <see cref="Count"/> scored tokens: exp(mean NLL), with its standard error.</summary>
public sealed record PerplexityResult(double Value, double Error, long Count, int Chunks, double MeanNll);

/// <summary>
/// llama-perplexity's method: the tokenized text is cut into windows of <see cref="PerplexityOptions.Context"/>
/// tokens (the first of each replaced by BOS when the vocabulary adds one); each window is evaluated from an empty
/// cache, and only its second half is scored (each position's logits against the next token), so every scored token
/// has at least half a window of context. PPL = exp(mean NLL); its error is exp(mean)·sqrt(var(NLL)/(n − 1)).
/// The logits are bit-identical whatever the thread count, kernel or batching, so is the result.
/// </summary>
public static class Perplexity
{
    /// <summary>Whole windows in <paramref name="tokenCount"/> tokens, at most <see cref="PerplexityOptions.Chunks"/>.</summary>
    public static int ChunkCount(int tokenCount, PerplexityOptions o)
    {
        int whole = tokenCount / o.Context;
        return o.Chunks > 0 ? Math.Min(whole, o.Chunks) : whole;
    }

    public static PerplexityResult Run(Evaluator evaluator, ReadOnlySpan<int> tokens, PerplexityOptions o,
        Action<ChunkPerplexity>? onChunk = null, ScoredRow? onScored = null, CancellationToken ct = default)
    {
        if (o.Context < 4) throw new ArgumentException($"the context must be at least 4 tokens (got {o.Context})");
        if (o.Batch < 1) throw new ArgumentException($"the batch must be at least 1 token (got {o.Batch})");
        int chunks = ChunkCount(tokens.Length, o);
        if (chunks < 1)
            throw new ArgumentException($"the text has {tokens.Length} tokens, fewer than one window of {o.Context} (lower -c or give more text)");
        var model = evaluator.Model;
        int ctx = o.Context, first = ctx / 2, vocab = model.Config.VocabSize;
        int together = Math.Clamp(o.Batch / ctx, 1, chunks); // windows evaluated side by side, each in its own cache
        var seqs = new Sequence[together];
        for (int k = 0; k < together; k++) seqs[k] = new Sequence(model, ctx, o.CacheType);
        var batch = new List<BatchToken>(Math.Min(o.Batch, together * ctx));
        var rows = new List<(int Chunk, int Position)>();
        double nll = 0, nll2 = 0;
        long count = 0;
        try
        {
            for (int c0 = 0; c0 < chunks; c0 += together)
            {
                int group = Math.Min(together, chunks - c0);
                for (int k = 0; k < group; k++) seqs[k].Truncate(0);
                // The group's tokens in order (window by window), sent in passes of at most Batch tokens.
                for (int at = 0; at < group * ctx;)
                {
                    ct.ThrowIfCancellationRequested();
                    batch.Clear(); rows.Clear();
                    int end = Math.Min(group * ctx, at + o.Batch);
                    for (int i = at; i < end; i++)
                    {
                        int k = i / ctx, j = i % ctx;
                        int token = j == 0 && o.BosId >= 0 ? o.BosId : tokens[(c0 + k) * ctx + j];
                        bool scored = j >= first && j < ctx - 1;
                        batch.Add(new BatchToken(token, j, seqs[k].Cache, scored));
                        if (scored) rows.Add((c0 + k, j));
                    }
                    var logits = evaluator.Forward(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch));
                    for (int r = 0; r < rows.Count; r++)
                    {
                        var (chunk, j) = rows[r];
                        var row = logits.Slice(r * vocab, vocab);
                        int target = tokens[chunk * ctx + j + 1];
                        double v = -LogProbabilities.Of(row, target);
                        nll += v; nll2 += v * v; count++;
                        onScored?.Invoke(chunk, j, target, row);
                        if (j == ctx - 2) onChunk?.Invoke(new ChunkPerplexity(chunk + 1, Math.Exp(nll / count))); // a window's last scored row
                    }
                    // Advance each window's sequence past the tokens this pass stored in its cache.
                    for (int i = at; i < end;)
                    {
                        int k = i / ctx, stop = Math.Min(end, (k + 1) * ctx);
                        for (; i < stop; i++) seqs[k].Append(batch[i - at].Token);
                    }
                    at = end;
                }
            }
        }
        finally
        {
            foreach (var s in seqs) s.Dispose();
        }
        double mean = nll / count, variance = nll2 / count - mean * mean;
        double ppl = Math.Exp(mean);
        double error = count > 1 && variance > 0 ? ppl * Math.Sqrt(variance / (count - 1)) : 0;
        return new PerplexityResult(ppl, error, count, chunks, mean);
    }
}
