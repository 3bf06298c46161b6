using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Tern.Serving;
using Tern.Server.Hosting;
using Tern.Server.Metrics;
using Tern.Server.Protocol;

namespace Tern.Server.Endpoints;

/// <summary>What both completion endpoints share: submitting to the scheduler, mapping its outcomes to HTTP, usage, ids.</summary>
internal static class Completions
{
    /// <summary>Submits a request; the scheduler's refusals become OpenAI errors.</summary>
    public static RequestHandle Submit(ModelHost host, CompletionRequest request, CancellationToken ct, string promptParam)
    {
        try { return host.Scheduler.Submit(request, ct); }
        catch (QueueFullException e) { throw new ApiException(429, e.Message, code: "queue_full"); }
        catch (ContextLengthExceededException e) { throw ApiException.BadRequest(e.Message, promptParam, "context_length_exceeded"); }
        catch (KvCapacityException e) { throw new ApiException(503, e.Message, code: "kv_cache_full"); }
        catch (ArgumentException e) { throw ApiException.BadRequest(e.Message); }
    }

    /// <summary>The result of a non-streaming request: an error status unless it ended normally.</summary>
    public static async Task<CompletionResult> ResultAsync(RequestHandle handle, ServerMetrics metrics, CancellationToken ct)
    {
        var r = await handle.Completion.WaitAsync(ct);
        metrics.Completed(r);
        return r.FinishReason switch
        {
            Serving.FinishReason.Error => throw new ApiException(500, $"generation failed: {r.Error?.Message}"),
            Serving.FinishReason.Cancelled => throw new ApiException(503, "the server is shutting down", code: "shutting_down"),
            _ => r,
        };
    }

    /// <summary>The result of a streaming request; an error is sent as a last event (the status is already 200). Null when it failed.</summary>
    public static async Task<CompletionResult?> StreamResultAsync(RequestHandle handle, ServerMetrics metrics, ServerSentEvents sse, CancellationToken ct)
    {
        var r = await handle.Completion.WaitAsync(ct);
        metrics.Completed(r);
        if (r.FinishReason is not (Serving.FinishReason.Error or Serving.FinishReason.Cancelled)) return r;
        var error = r.FinishReason == Serving.FinishReason.Error
            ? new ApiException(500, $"generation failed: {r.Error?.Message}")
            : new ApiException(503, "the server is shutting down", code: "shutting_down");
        await sse.WriteAsync(error.ToBody(), OpenAiJson.Default.ErrorResponse, ct);
        return null;
    }

    public static string FinishReason(CompletionResult r) => r.FinishReason == Serving.FinishReason.Length ? "length" : "stop";

    public static Usage Usage(CompletionResult r) =>
        new(r.PromptTokens, r.CompletionTokens, r.PromptTokens + r.CompletionTokens, new PromptTokensDetails(r.CachedPromptTokens));

    public static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>A token's text (invalid UTF-8 of a partial character shows as U+FFFD) and its bytes.</summary>
    public static (string Text, int[] Bytes) TokenText(ModelHost host, int token)
    {
        var bytes = host.Tokenizer.TokenBytes(token);
        return (ServerSentEvents.Utf8(bytes), [.. bytes.Select(b => (int)b)]);
    }

    public static async Task WriteJsonAsync<T>(HttpContext http, T value, JsonTypeInfo<T> type, int status = 200)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(http.Response.Body, value, type, http.RequestAborted);
    }
}
