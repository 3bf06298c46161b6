using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tern.Serving;
using Tern.Server.Hosting;
using Tern.Server.Protocol;

namespace Tern.Server.Endpoints;

/// <summary>POST /v1/embeddings: mean-pooled, L2-normalized final hidden states, computed by the scheduler between steps.</summary>
internal static class EmbeddingsEndpoint
{
    public const int MaxInputs = 256;

    public static async Task Handle(HttpContext http, ModelHost host)
    {
        var body = await RequestBody.ReadAsync(http, OpenAiJson.Default.EmbeddingBody);
        int dim = host.Model.Config.Dim;
        if (body.Dimensions is int d && d != dim) throw ApiException.BadRequest($"this model's embeddings have {dim} dimensions", "dimensions");
        bool base64 = body.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            _ => throw ApiException.BadRequest("encoding_format must be float or base64", "encoding_format"),
        };
        var inputs = Inputs(body.Input, host);
        var items = new List<EmbeddingItem>(inputs.Count);
        int tokens = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            float[] v;
            try { v = await host.Scheduler.EmbedAsync(inputs[i], http.RequestAborted); }
            catch (ContextLengthExceededException e) { throw ApiException.BadRequest(e.Message, "input", "context_length_exceeded"); }
            catch (QueueFullException e) { throw new ApiException(429, e.Message, code: "queue_full"); }
            tokens += inputs[i].Length;
            var value = base64
                ? JsonSerializer.SerializeToElement(Convert.ToBase64String(MemoryMarshal.AsBytes(v.AsSpan())), OpenAiJson.Default.String)
                : JsonSerializer.SerializeToElement(v, OpenAiJson.Default.SingleArray);
            items.Add(new EmbeddingItem("embedding", value, i));
        }
        await Completions.WriteJsonAsync(http, new EmbeddingResponse("list", items, host.ModelId, new EmbeddingUsage(tokens, tokens)), OpenAiJson.Default.EmbeddingResponse);
    }

    private static List<int[]> Inputs(JsonElement? input, ModelHost host)
    {
        var tok = host.Tokenizer;
        if (input is not { } e || e.ValueKind == JsonValueKind.Null) throw ApiException.BadRequest("input is required", "input");
        int[] Text(JsonElement s)
        {
            var ids = tok.Encode(s.GetString()!, tok.AddBosByDefault, parseSpecial: false);
            return ids.Length > 0 ? ids : throw ApiException.BadRequest("an input has no tokens", "input");
        }
        int[] Ids(JsonElement a)
        {
            if (a.GetArrayLength() == 0) throw ApiException.BadRequest("an input has no tokens", "input");
            return [.. a.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int id) && id >= 0 && id < tok.VocabSize
                ? id : throw ApiException.BadRequest($"input token ids must be integers between 0 and {tok.VocabSize - 1}", "input"))];
        }
        if (e.ValueKind == JsonValueKind.String) return [Text(e)];
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0) throw ApiException.BadRequest("input must be a string, an array of strings or of token ids", "input");
        if (e.GetArrayLength() > MaxInputs) throw ApiException.BadRequest($"at most {MaxInputs} inputs per request", "input");
        if (e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number)) return [Ids(e)];
        return [.. e.EnumerateArray().Select(x => x.ValueKind switch
        {
            JsonValueKind.String => Text(x),
            JsonValueKind.Array => Ids(x),
            _ => throw ApiException.BadRequest("input must be a string, an array of strings or of token ids", "input"),
        })];
    }
}
