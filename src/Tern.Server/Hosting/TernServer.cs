using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Tern.Server.Endpoints;
using Tern.Server.Metrics;
using Tern.Server.Protocol;

namespace Tern.Server.Hosting;

/// <summary>
/// `tern serve`: an OpenAI-compatible HTTP server on Kestrel (ASP.NET Core minimal APIs). Starts listening at once
/// and loads the model in the background (/health answers 503 until it is ready).
/// </summary>
public sealed class TernServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Thread _loader;

    private TernServer(WebApplication app, ModelHost host, ServerMetrics metrics)
    {
        _app = app;
        Host = host;
        Metrics = metrics;
        _loader = new Thread(() =>
        {
            try { host.Load(); }
            catch (Exception e) { _app.Logger.LogError("the model failed to load: {Message}", e.Message); }
        }) { IsBackground = true, Name = "tern-model-loader" };
    }

    public ModelHost Host { get; }
    public ServerMetrics Metrics { get; }

    /// <summary>Where the server listens, e.g. http://127.0.0.1:8080/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Builds the server and starts listening; the model loads in the background.</summary>
    public static async Task<TernServer> StartAsync(ServerOptions options, ILoggerProvider? logging = null, CancellationToken ct = default)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null) builder.Logging.AddProvider(logging);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            k.AddServerHeader = false;
            if (options.Host is "localhost") k.ListenLocalhost(options.Port);
            else if (IPAddress.TryParse(options.Host, out var ip)) k.Listen(ip, options.Port);
            else throw new ArgumentException($"--host must be an IP address or localhost (got '{options.Host}')");
        });
        if (options.CorsOrigins.Count > 0)
            builder.Services.AddCors(c => c.AddDefaultPolicy(p => p.WithOrigins([.. options.CorsOrigins]).AllowAnyHeader().WithMethods("GET", "POST")));
        var host = new ModelHost(options);
        var metrics = new ServerMetrics(host);
        builder.Services.AddSingleton(host);
        builder.Services.AddSingleton(metrics);

        var app = builder.Build();
        var server = new TernServer(app, host, metrics);
        Pipeline.Configure(app, options, host, metrics);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        server._loader.Start();
        return server;
    }

    /// <summary>Waits until the model is loaded (or failed to load: then throws).</summary>
    public async Task WaitUntilReadyAsync(CancellationToken ct = default)
    {
        while (!Host.IsReady)
        {
            if (Host.LoadError is { } e) throw new InvalidOperationException($"the model failed to load: {e.Message}", e);
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Runs until <paramref name="ct"/> is cancelled (Ctrl-C in `tern serve`).</summary>
    public async Task WaitForShutdownAsync(CancellationToken ct)
    {
        try { await Task.Delay(Timeout.Infinite, ct); }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        _loader.Join();
        Host.Dispose();
        await _app.DisposeAsync();
    }
}
