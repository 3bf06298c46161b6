using Tern.Sampling;

namespace Tern.Serving;

/// <summary>One completion for the <see cref="Scheduler"/>: a prompt in tokens and how to continue it.</summary>
public sealed record CompletionRequest
{
    /// <summary>The whole prompt (for a chat: the rendered conversation). Must not be empty.</summary>
    public required int[] Prompt { get; init; }
    /// <summary>Most tokens to generate; −1 = until end of generation or a full context.</summary>
    public int MaxTokens { get; init; } = -1;
    public SamplerOptions Sampler { get; init; } = SamplerOptions.Greedy;
    /// <summary>Generation stops when the text contains one of these; the stop string itself is not returned.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Stop at the tokenizer's end-of-generation tokens.</summary>
    public bool StopAtEndOfGeneration { get; init; } = true;
    /// <summary>Report each token's log-probability and this many alternatives (0–20); −1 = no log-probabilities.</summary>
    public int TopLogprobs { get; init; } = -1;
    /// <summary>Drop a SentencePiece dummy-prefix space at the very start of the text (generating from BOS alone).</summary>
    public bool StripLeadingSpace { get; init; }
}

/// <summary>Why a completion ended.</summary>
public enum FinishReason
{
    /// <summary>An end-of-generation token or a stop string.</summary>
    Stop,
    /// <summary>The token limit or the context size was reached.</summary>
    Length,
    /// <summary>The caller cancelled (or its client went away).</summary>
    Cancelled,
    /// <summary>The engine failed; <see cref="CompletionResult.Error"/> says why.</summary>
    Error,
}

/// <summary>A token's log-probability under the model (after penalties, before temperature and truncation).</summary>
public readonly record struct TokenLogprob(int Token, float Logprob);

/// <summary>One generated token as it streams out: its id, the text it completed (possibly empty), and its log-probabilities if asked for.</summary>
public sealed record CompletionChunk(int Token, string Text, TokenLogprob? Logprob = null, TokenLogprob[]? TopLogprobs = null);

/// <summary>How a completion ended and what it cost.</summary>
public sealed record CompletionResult
{
    public required FinishReason FinishReason { get; init; }
    public required int PromptTokens { get; init; }
    /// <summary>Prompt tokens that were already in the slot's cache (not computed again).</summary>
    public required int CachedPromptTokens { get; init; }
    public required int CompletionTokens { get; init; }
    /// <summary>The generated text (stop strings removed).</summary>
    public required string Text { get; init; }
    public required IReadOnlyList<int> Tokens { get; init; }
    /// <summary>From submission to the first generated token.</summary>
    public TimeSpan TimeToFirstToken { get; init; }
    /// <summary>From submission to the end.</summary>
    public TimeSpan Duration { get; init; }
    /// <summary>Waiting in the queue for a slot.</summary>
    public TimeSpan QueueTime { get; init; }
    public Exception? Error { get; init; }
}
