using System.Text.Json;
using Tern.Sampling;
using Tern.Server.Protocol;

namespace Tern.Server.Endpoints;

/// <summary>
/// Checks the fields both completion APIs share and turns them into the scheduler's terms. Anything Tern cannot honour
/// is refused with a 400 that names the parameter, never silently ignored.
/// </summary>
internal static class SamplingTranslation
{
    public const int MaxStopStrings = 16;

    public static SamplerOptions Sampler(SamplingFields f, int contextSize)
    {
        var d = new SamplerOptions();
        float temperature = f.Temperature ?? d.Temperature;
        if (!(temperature >= 0)) throw ApiException.BadRequest("temperature must be a number ≥ 0", "temperature");
        float topP = f.TopP ?? d.TopP;
        if (!(topP >= 0 && topP <= 1)) throw ApiException.BadRequest("top_p must be between 0 and 1", "top_p");
        int topK = f.TopK ?? d.TopK;
        if (topK < 0) throw ApiException.BadRequest("top_k must be ≥ 0", "top_k");
        float minP = f.MinP ?? d.MinP;
        if (!(minP >= 0 && minP <= 1)) throw ApiException.BadRequest("min_p must be between 0 and 1", "min_p");
        float repeat = f.RepeatPenalty ?? d.RepeatPenalty;
        if (!(repeat > 0)) throw ApiException.BadRequest("repeat_penalty must be > 0", "repeat_penalty");
        int lastN = f.RepeatLastN ?? d.RepeatLastN;
        if (lastN < -1) throw ApiException.BadRequest("repeat_last_n must be -1 (the whole context) or ≥ 0", "repeat_last_n");
        float presence = f.PresencePenalty ?? 0, frequency = f.FrequencyPenalty ?? 0;
        if (!(presence >= -2 && presence <= 2)) throw ApiException.BadRequest("presence_penalty must be between -2 and 2", "presence_penalty");
        if (!(frequency >= -2 && frequency <= 2)) throw ApiException.BadRequest("frequency_penalty must be between -2 and 2", "frequency_penalty");
        return new SamplerOptions
        {
            Temperature = temperature,
            TopP = topP > 0 ? topP : float.Epsilon, // top_p = 0 keeps only the most likely token
            TopK = topK,
            MinP = minP,
            RepeatPenalty = repeat,
            RepeatLastN = lastN < 0 ? contextSize : lastN,
            PresencePenalty = presence,
            FrequencyPenalty = frequency,
            Seed = f.Seed is long s ? unchecked((ulong)s) : null,
        };
    }

    /// <summary>max_tokens (or its newer name): −1 when absent.</summary>
    public static int MaxTokens(int? maxTokens, string param)
    {
        if (maxTokens is not int n) return -1;
        if (n < 1) throw ApiException.BadRequest($"{param} must be at least 1", param);
        return n;
    }

    public static IReadOnlyList<string> Stops(JsonElement? stop)
    {
        if (stop is not { } e || e.ValueKind == JsonValueKind.Null) return [];
        if (e.ValueKind == JsonValueKind.String) return NonEmpty([e.GetString()!]);
        if (e.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("stop must be a string or an array of strings", "stop");
        if (e.GetArrayLength() > MaxStopStrings) throw ApiException.BadRequest($"stop takes at most {MaxStopStrings} strings", "stop");
        var list = new List<string>();
        foreach (var s in e.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.String) throw ApiException.BadRequest("stop must be a string or an array of strings", "stop");
            list.Add(s.GetString()!);
        }
        return NonEmpty(list);
    }

    private static List<string> NonEmpty(List<string> stops)
    {
        if (stops.Any(s => s.Length == 0)) throw ApiException.BadRequest("stop strings must not be empty", "stop");
        return stops;
    }

    /// <summary>Refuses what both APIs could ask and Tern does not do.</summary>
    public static void RefuseUnsupported(SamplingFields f)
    {
        if (f.N is int n && n != 1) throw ApiException.BadRequest("only n = 1 is supported", "n");
        if (f.LogitBias is { ValueKind: JsonValueKind.Object } bias && bias.EnumerateObject().Any())
            throw ApiException.BadRequest("logit_bias is not supported", "logit_bias");
    }

    public static bool IsNullOrEmpty(JsonElement? e) =>
        e is not { } v || v.ValueKind == JsonValueKind.Null || (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0);
}
