using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tern.Server.Hosting;
using Tern.Server.Protocol;

namespace Tern.Server.Endpoints;

/// <summary>GET /v1/models, GET /health, POST /tokenize and POST /detokenize (llama-server's shapes).</summary>
internal static class InfoEndpoints
{
    public static Task Models(HttpContext http, ModelHost host) =>
        Completions.WriteJsonAsync(http, new ModelList("list", [new ModelCard(host.ModelId, "model", host.Created, "tern")]), OpenAiJson.Default.ModelList);

    public static Task Health(HttpContext http, ModelHost host)
    {
        if (host.LoadError is { } e)
            return Completions.WriteJsonAsync(http, new ApiException(503, $"the model failed to load: {e.Message}").ToBody(), OpenAiJson.Default.ErrorResponse, 503);
        if (!host.IsReady)
            return Completions.WriteJsonAsync(http, new ApiException(503, "Loading model", code: "loading").ToBody(), OpenAiJson.Default.ErrorResponse, 503);
        return Completions.WriteJsonAsync(http, new HealthResponse("ok"), OpenAiJson.Default.HealthResponse);
    }

    public static async Task Tokenize(HttpContext http, ModelHost host)
    {
        var body = await RequestBody.ReadAsync(http, OpenAiJson.Default.TokenizeBody);
        if (body.Content is null) throw ApiException.BadRequest("content is required", "content");
        var tok = host.Tokenizer;
        int[] ids = tok.Encode(body.Content, addBos: body.AddSpecial == true && tok.AddBosByDefault, parseSpecial: body.ParseSpecial ?? true);
        var tokens = ids.Select(id => body.WithPieces == true
            ? JsonSerializer.SerializeToElement(new TokenPiece(id, Completions.TokenText(host, id).Text), OpenAiJson.Default.TokenPiece)
            : JsonSerializer.SerializeToElement(id, OpenAiJson.Default.Int32)).ToList();
        await Completions.WriteJsonAsync(http, new TokenizeResponse(tokens), OpenAiJson.Default.TokenizeResponse);
    }

    public static async Task Detokenize(HttpContext http, ModelHost host)
    {
        var body = await RequestBody.ReadAsync(http, OpenAiJson.Default.DetokenizeBody);
        var ids = body.Tokens ?? [];
        int vocab = host.Tokenizer.VocabSize;
        if (ids.Any(id => id < 0 || id >= vocab)) throw ApiException.BadRequest($"token ids must be between 0 and {vocab - 1}", "tokens");
        await Completions.WriteJsonAsync(http, new DetokenizeResponse(host.Tokenizer.Decode(ids)), OpenAiJson.Default.DetokenizeResponse);
    }
}
