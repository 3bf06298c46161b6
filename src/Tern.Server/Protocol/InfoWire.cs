using System.Text.Json;

namespace Tern.Server.Protocol;

public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);

public sealed record ModelCard(string Id, string Object, long Created, string OwnedBy);

/// <summary>llama-server's POST /tokenize body.</summary>
public sealed class TokenizeBody
{
    public string? Content { get; set; }
    public bool? AddSpecial { get; set; }
    public bool? ParseSpecial { get; set; }
    public bool? WithPieces { get; set; }
}

public sealed record TokenizeResponse(IReadOnlyList<JsonElement> Tokens);

public sealed record TokenPiece(int Id, string Piece);

/// <summary>llama-server's POST /detokenize body.</summary>
public sealed class DetokenizeBody
{
    public List<int>? Tokens { get; set; }
}

public sealed record DetokenizeResponse(string Content);

public sealed record HealthResponse(string Status);
