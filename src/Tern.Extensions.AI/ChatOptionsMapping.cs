using Microsoft.Extensions.AI;
using Tern.Sampling;
using Tern.Serving;

namespace Tern.Extensions.AI;

/// <summary>
/// <see cref="ChatOptions"/> in the scheduler's terms. Options Tern cannot honour raise <see cref="NotSupportedException"/>
/// naming them, rather than being ignored.
/// </summary>
internal static class ChatOptionsMapping
{
    public static CompletionRequest ToRequest(ChatOptions? o, int[] prompt, IReadOnlyList<string> templateStops)
    {
        o ??= new ChatOptions();
        if (o.Tools is { Count: > 0 }) throw new NotSupportedException("ChatOptions.Tools is not supported by Tern");
        if (o.ToolMode is RequiredChatToolMode) throw new NotSupportedException("ChatOptions.ToolMode (required) is not supported by Tern");
        if (o.ResponseFormat is not (null or ChatResponseFormatText)) throw new NotSupportedException("ChatOptions.ResponseFormat other than text is not supported by Tern");
        if (o.MaxOutputTokens is < 1) throw new ArgumentOutOfRangeException(nameof(o), "ChatOptions.MaxOutputTokens must be at least 1");
        var d = new SamplerOptions();
        var sampler = new SamplerOptions
        {
            Temperature = o.Temperature ?? d.Temperature,
            TopP = o.TopP is float p ? (p > 0 ? p : float.Epsilon) : d.TopP,
            TopK = o.TopK ?? d.TopK,
            FrequencyPenalty = o.FrequencyPenalty ?? 0,
            PresencePenalty = o.PresencePenalty ?? 0,
            Seed = o.Seed is long s ? unchecked((ulong)s) : null,
        };
        return new CompletionRequest
        {
            Prompt = prompt,
            MaxTokens = o.MaxOutputTokens ?? -1,
            Sampler = sampler,
            StopStrings = [.. templateStops, .. o.StopSequences ?? []],
        };
    }
}
