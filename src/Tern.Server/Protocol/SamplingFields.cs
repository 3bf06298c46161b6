using System.Text.Json;

namespace Tern.Server.Protocol;

/// <summary>The fields both completion APIs share: the model, limits, sampling, stops, streaming, plus llama.cpp's extras.</summary>
public abstract class SamplingFields
{
    public string? Model { get; set; }
    public int? MaxTokens { get; set; }
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public long? Seed { get; set; }
    /// <summary>A string or an array of up to 4 strings.</summary>
    public JsonElement? Stop { get; set; }
    public float? PresencePenalty { get; set; }
    public float? FrequencyPenalty { get; set; }
    public int? N { get; set; }
    public bool? Stream { get; set; }
    public StreamOptionsBody? StreamOptions { get; set; }
    public JsonElement? LogitBias { get; set; }
    public string? User { get; set; }
    // llama.cpp's server extras
    public int? TopK { get; set; }
    public float? MinP { get; set; }
    public float? RepeatPenalty { get; set; }
    public int? RepeatLastN { get; set; }
    public bool? IgnoreEos { get; set; }
}

public sealed class StreamOptionsBody
{
    public bool? IncludeUsage { get; set; }
}
