using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tern.Server.Protocol;

// OpenAI's chat completions API (POST /v1/chat/completions), as its official clients send and read it. Property
// names are mapped to snake_case by OpenAiJson; fields left null are written as null, as OpenAI does.

/// <summary>The request body. Unknown fields are ignored; fields that take several shapes stay JSON until validated.</summary>
public sealed class ChatCompletionBody : SamplingFields
{
    public List<ChatMessageBody>? Messages { get; set; }
    public int? MaxCompletionTokens { get; set; }
    public bool? Logprobs { get; set; }
    public int? TopLogprobs { get; set; }
    public JsonElement? Tools { get; set; }
    public JsonElement? ToolChoice { get; set; }
    public JsonElement? Functions { get; set; }
    public JsonElement? FunctionCall { get; set; }
    public JsonElement? ResponseFormat { get; set; }
    public bool? ParallelToolCalls { get; set; }
}

public sealed class ChatMessageBody
{
    public string? Role { get; set; }
    /// <summary>A string, an array of content parts ({"type":"text","text":…}), or null.</summary>
    public JsonElement? Content { get; set; }
    public string? Name { get; set; }
    public JsonElement? ToolCalls { get; set; }
}

public sealed record ChatCompletionResponse(
    string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage, string? SystemFingerprint);

public sealed record ChatChoice(int Index, ChatMessageOut Message, ChatLogprobs? Logprobs, string FinishReason);

public sealed record ChatMessageOut(string Role, string? Content, string? Refusal = null);

/// <summary>A streamed chunk; "usage" appears only on the last one, when stream_options.include_usage asks for it.</summary>
public sealed record ChatCompletionChunk(
    string Id, string Object, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage, string? SystemFingerprint);

public sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);

/// <summary>A stream's increment: only the fields that changed (OpenAI omits the others; the last delta is {}).</summary>
public sealed record ChatDelta
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Role { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Content { get; init; }
}

public sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content, IReadOnlyList<ChatTokenLogprob>? Refusal = null);

public sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int>? Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);

public sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int>? Bytes);

public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens, PromptTokensDetails? PromptTokensDetails = null);

public sealed record PromptTokensDetails(int CachedTokens);
