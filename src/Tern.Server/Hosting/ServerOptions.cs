using Tern.Inference;

namespace Tern.Server.Hosting;

/// <summary>What `tern serve` is told: the model, where to listen, and the limits that keep the server safe.</summary>
public sealed record ServerOptions
{
    public required string ModelPath { get; init; }
    /// <summary>The model file's I2_S block layout; null tells it from the file (<see cref="Tern.Models.ModelOptions.I2SLayout"/>).</summary>
    public Tern.Tensors.I2SBlockLayout? I2SLayout { get; init; }
    /// <summary>The id clients use for the model (default: the file name without its extension).</summary>
    public string? ModelAlias { get; init; }
    /// <summary>Loopback by default: the server is reachable from other machines only when told so.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port (see <see cref="TernServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8080;
    public int Slots { get; init; } = 4;
    public int ContextSize { get; init; }
    public int Threads { get; init; }
    public KvCacheType CacheType { get; init; } = KvCacheType.F32;
    public long KvBudgetBytes { get; init; }
    public int MaxQueue { get; init; } = 64;
    public int StepTokens { get; init; } = 512;
    /// <summary>The exact top-k output layer for requests that allow it (<see cref="Tern.Serving.SchedulerOptions.TopKOutput"/>).</summary>
    public bool TopKOutput { get; init; }
    /// <summary>When set, every API request must send "Authorization: Bearer KEY" (compared in constant time).</summary>
    public string? ApiKey { get; init; }
    /// <summary>Origins allowed to call the API from a browser; none by default (no CORS headers at all).</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];
    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxBodyBytes { get; init; } = 4L << 20;
    /// <summary>Serve the web chat page at /.</summary>
    public bool WebPage { get; init; } = true;

    internal void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), "the port must be between 0 and 65535");
        if (MaxBodyBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxBodyBytes), "the body limit must be at least 1 KB");
        if (ApiKey is { Length: 0 }) throw new ArgumentException("the API key must not be empty", nameof(ApiKey));
    }
}
