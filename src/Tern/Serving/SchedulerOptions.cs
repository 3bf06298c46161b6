using Tern.Inference;

namespace Tern.Serving;

/// <summary>How a <see cref="Scheduler"/> shares one model among concurrent requests.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Sequences decoded together (llama-server's --parallel).</summary>
    public int Slots { get; init; } = 4;
    /// <summary>Context size of each slot, in tokens; 0 = the model's, at most 4096.</summary>
    public int ContextSize { get; init; }
    public KvCacheType CacheType { get; init; } = KvCacheType.F32;
    /// <summary>Bytes of KV cache all slots may hold together; 0 = half the memory available.</summary>
    public long KvBudgetBytes { get; init; }
    /// <summary>Requests that may wait for a slot; past this, <see cref="Scheduler.Submit"/> throws <see cref="QueueFullException"/>.</summary>
    public int MaxQueue { get; init; } = 64;
    /// <summary>
    /// Tokens per forward pass: every decoding slot's next token, then prompt chunks of slots still reading their
    /// prompt up to this many (chunked prefill), so a long prompt stalls the other streams for one chunk at most.
    /// </summary>
    public int StepTokens { get; init; } = 512;
    /// <summary>Worker threads of the one evaluator; 0 = the default.</summary>
    public int Threads { get; init; }
    /// <summary>
    /// Run the exact top-k output layer (<see cref="Models.Layers.TopKOutput"/>) for the rows of requests that sample
    /// from their top k (or greedily) and ask for no logprobs: the same tokens, reading about half the output bytes.
    /// </summary>
    public bool TopKOutput { get; init; }

    /// <summary>Time per operation of every forward pass the scheduler runs (`tern bench --parallel --profile`); null = off.</summary>
    public OpProfile? Profile { get; init; }

    internal void Validate()
    {
        if (Slots is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(Slots), "slots must be between 1 and 256");
        if (ContextSize < 0) throw new ArgumentOutOfRangeException(nameof(ContextSize), "the context size must be positive");
        if (KvBudgetBytes < 0) throw new ArgumentOutOfRangeException(nameof(KvBudgetBytes), "the KV budget must be positive");
        if (MaxQueue < 0) throw new ArgumentOutOfRangeException(nameof(MaxQueue), "the queue limit must be 0 or more");
        if (StepTokens < 1) throw new ArgumentOutOfRangeException(nameof(StepTokens), "a step must hold at least one token");
        if (StepTokens < Slots) throw new ArgumentOutOfRangeException(nameof(StepTokens), "a step must hold at least one token per slot");
    }
}
