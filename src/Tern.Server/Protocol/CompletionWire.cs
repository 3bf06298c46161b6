using System.Text.Json;

namespace Tern.Server.Protocol;

// OpenAI's legacy completions API (POST /v1/completions).

public sealed class CompletionBody : SamplingFields
{
    /// <summary>A string, an array of one string, or an array of token ids.</summary>
    public JsonElement? Prompt { get; set; }
    /// <summary>Legacy: how many alternatives' log-probabilities to return per token (0–5 at OpenAI; 0–20 here).</summary>
    public int? Logprobs { get; set; }
    public bool? Echo { get; set; }
    public string? Suffix { get; set; }
    public int? BestOf { get; set; }
}

public sealed record CompletionResponse(
    string Id, string Object, long Created, string Model, IReadOnlyList<CompletionChoice> Choices, Usage? Usage, string? SystemFingerprint);

public sealed record CompletionChoice(string Text, int Index, CompletionLogprobs? Logprobs, string? FinishReason);

public sealed record CompletionLogprobs(
    IReadOnlyList<string> Tokens, IReadOnlyList<float> TokenLogprobs, IReadOnlyList<Dictionary<string, float>> TopLogprobs, IReadOnlyList<int> TextOffset);
