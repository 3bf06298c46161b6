using Tern.Inference;

namespace Tern.Evaluation;

/// <summary>How <see cref="Perplexity"/> windows and batches a text (llama-perplexity's -c, -b and --chunks).</summary>
public sealed record PerplexityOptions
{
    /// <summary>Tokens per window (-c). Each window is scored on its second half.</summary>
    public int Context { get; init; } = 512;

    /// <summary>Tokens per forward pass (-b). Windows shorter than this are evaluated several at once, each in its own cache.</summary>
    public int Batch { get; init; } = 512;

    /// <summary>Windows to score (--chunks); below 1, every whole window of the text.</summary>
    public int Chunks { get; init; } = -1;

    public KvCacheType CacheType { get; init; } = KvCacheType.F32;

    /// <summary>Replaces the first token of every window (llama.cpp does this when the vocabulary adds BOS); -1 keeps it.</summary>
    public int BosId { get; init; } = -1;
}
