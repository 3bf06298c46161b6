using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Tern.Server.Endpoints;

/// <summary>An OpenAI-style event stream: "data: {json}" events, then "data: [DONE]".</summary>
internal sealed class ServerSentEvents(HttpResponse response)
{
    private static readonly byte[] Prefix = "data: "u8.ToArray(), End = "\n\n"u8.ToArray(), Done = "data: [DONE]\n\n"u8.ToArray();

    public async Task StartAsync(CancellationToken ct)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // proxies must not hold tokens back
        await response.StartAsync(ct);
    }

    public async Task WriteAsync<T>(T value, JsonTypeInfo<T> type, CancellationToken ct)
    {
        await response.Body.WriteAsync(Prefix, ct);
        await JsonSerializer.SerializeAsync(response.Body, value, type, ct);
        await response.Body.WriteAsync(End, ct);
        await response.Body.FlushAsync(ct);
    }

    public async Task DoneAsync(CancellationToken ct)
    {
        await response.Body.WriteAsync(Done, ct);
        await response.Body.FlushAsync(ct);
    }

    public static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
