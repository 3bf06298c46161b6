using System.Text.Json;

namespace Tern.Server.Protocol;

// OpenAI's embeddings API (POST /v1/embeddings).

public sealed class EmbeddingBody
{
    public string? Model { get; set; }
    /// <summary>A string, an array of strings, an array of token ids, or an array of such arrays.</summary>
    public JsonElement? Input { get; set; }
    /// <summary>"float" (default) or "base64" (little-endian float32 bytes).</summary>
    public string? EncodingFormat { get; set; }
    public int? Dimensions { get; set; }
    public string? User { get; set; }
}

public sealed record EmbeddingResponse(string Object, IReadOnlyList<EmbeddingItem> Data, string Model, EmbeddingUsage Usage);

/// <summary>One embedding: a float array, or a base64 string when asked for.</summary>
public sealed record EmbeddingItem(string Object, JsonElement Embedding, int Index);

public sealed record EmbeddingUsage(int PromptTokens, int TotalTokens);
