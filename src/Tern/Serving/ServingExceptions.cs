namespace Tern.Serving;

/// <summary>The scheduler's queue is full: try again later (HTTP 429).</summary>
public sealed class QueueFullException(int limit)
    : Exception($"the server is busy: {limit} requests are already waiting (try again later)")
{
    public int Limit { get; } = limit;
}

/// <summary>The prompt plus the tokens asked for do not fit the context (HTTP 400 context_length_exceeded).</summary>
public sealed class ContextLengthExceededException(int promptTokens, int maxTokens, int context)
    : Exception(maxTokens > 0
        ? $"this model's context holds {context} tokens, but {promptTokens} prompt tokens and {maxTokens} completion tokens were requested"
        : $"this model's context holds {context} tokens, but the prompt has {promptTokens}")
{
    public int PromptTokens { get; } = promptTokens;
    public int Context { get; } = context;
}

/// <summary>A request could never get the KV cache it needs within the server's budget (HTTP 503).</summary>
public sealed class KvCapacityException(long needed, long limit)
    : Exception($"the request needs {needed:N0} bytes of KV cache, more than the server's whole budget of {limit:N0} (raise --kv-budget, or ask for fewer tokens)")
{
    public long Needed { get; } = needed;
}
