using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tern.Server.Protocol;

/// <summary>
/// The wire types' JSON, source-generated: snake_case names, nulls written (OpenAI writes "logprobs": null and the
/// like), numbers only as numbers, unknown request fields ignored.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(ChatCompletionBody))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(CompletionBody))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(TokenizeBody))]
[JsonSerializable(typeof(TokenizeResponse))]
[JsonSerializable(typeof(TokenPiece))]
[JsonSerializable(typeof(DetokenizeBody))]
[JsonSerializable(typeof(DetokenizeResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(EmbeddingBody))]
[JsonSerializable(typeof(EmbeddingResponse))]
[JsonSerializable(typeof(float[]))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
public sealed partial class OpenAiJson : JsonSerializerContext;
