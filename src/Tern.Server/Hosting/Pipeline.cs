using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;
using Tern.Server.Endpoints;
using Tern.Server.Metrics;
using Tern.Server.Protocol;
using Tern.Server.WebPage;

namespace Tern.Server.Hosting;

/// <summary>The middleware and routes, outermost first: errors in OpenAI's shape, metrics, CORS, the API key, readiness.</summary>
internal static class Pipeline
{
    public static void Configure(WebApplication app, ServerOptions options, ModelHost host, ServerMetrics metrics)
    {
        var key = options.ApiKey is { } k ? new ApiKeyCheck(k) : null;
        app.Use(async (http, next) =>
        {
            try { await next(http); }
            catch (ApiException e) when (!http.Response.HasStarted) { await WriteError(http, e); }
            catch (BadHttpRequestException e) when (!http.Response.HasStarted)
            {
                string message = e.StatusCode == 413 ? $"the request body is larger than {options.MaxBodyBytes:N0} bytes" : e.Message;
                await WriteError(http, new ApiException(e.StatusCode, message));
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested) { } // the client went away
            metrics.Request(Route(http), http.Response.StatusCode);
        });
        if (options.CorsOrigins.Count > 0) app.UseCors();
        app.Use(async (http, next) =>
        {
            string path = http.Request.Path.Value ?? "/";
            if (IsApi(path))
            {
                if (key is not null && !key.Accepts(http.Request.Headers.Authorization))
                    throw new ApiException(401, "invalid or missing API key (send Authorization: Bearer KEY)", code: "invalid_api_key");
                if (!host.IsReady && path != "/metrics")
                    throw new ApiException(503, host.LoadError is { } e ? $"the model failed to load: {e.Message}" : "Loading model", code: "loading");
            }
            await next(http);
        });

        app.MapGet("/health", (HttpContext h) => InfoEndpoints.Health(h, host));
        app.MapGet("/v1/health", (HttpContext h) => InfoEndpoints.Health(h, host));
        app.MapGet("/v1/models", (HttpContext h) => InfoEndpoints.Models(h, host));
        app.MapGet("/models", (HttpContext h) => InfoEndpoints.Models(h, host));
        app.MapPost("/v1/chat/completions", (HttpContext h) => ChatCompletionsEndpoint.Handle(h, host, metrics));
        app.MapPost("/chat/completions", (HttpContext h) => ChatCompletionsEndpoint.Handle(h, host, metrics));
        app.MapPost("/v1/completions", (HttpContext h) => TextCompletionsEndpoint.Handle(h, host, metrics));
        app.MapPost("/completions", (HttpContext h) => TextCompletionsEndpoint.Handle(h, host, metrics));
        app.MapPost("/v1/embeddings", (HttpContext h) => EmbeddingsEndpoint.Handle(h, host));
        app.MapPost("/embeddings", (HttpContext h) => EmbeddingsEndpoint.Handle(h, host));
        app.MapPost("/tokenize", (HttpContext h) => InfoEndpoints.Tokenize(h, host));
        app.MapPost("/detokenize", (HttpContext h) => InfoEndpoints.Detokenize(h, host));
        app.MapMetrics("/metrics", metrics.Registry);
        if (options.WebPage) WebPageEndpoints.Map(app);
        app.MapFallback((HttpContext h) => throw new ApiException(404, $"no route {h.Request.Method} {h.Request.Path}"));
    }

    /// <summary>Routes behind the key and the readiness gate: everything but /health and the web page.</summary>
    private static bool IsApi(string path) =>
        path.StartsWith("/v1/", StringComparison.Ordinal) && path != "/v1/health"
        || path is "/models" or "/embeddings" or "/chat/completions" or "/completions" or "/tokenize" or "/detokenize" or "/metrics";

    private static string Route(HttpContext http) => http.GetEndpoint() is RouteEndpoint r ? r.RoutePattern.RawText ?? "?" : "other";

    private static async Task WriteError(HttpContext http, ApiException e)
    {
        if (e.Status == 429) http.Response.Headers.RetryAfter = "1";
        if (e.Status == 401) http.Response.Headers.WWWAuthenticate = "Bearer";
        await Completions.WriteJsonAsync(http, e.ToBody(), OpenAiJson.Default.ErrorResponse, e.Status);
    }
}
