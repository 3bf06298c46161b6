using Tern.Dummy;
using Tern.Server.Hosting;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Server;

/// <summary>A real `tern serve` (Kestrel on a free loopback port) over a tiny random model, for HTTP tests.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly TempDir _dir;

    private TestServer(TempDir dir, TernServer server)
    {
        _dir = dir;
        Server = server;
        Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public TernServer Server { get; }
    public HttpClient Http { get; }
    public Uri BaseAddress => Server.BaseAddress;
    public Uri ApiAddress => new(Server.BaseAddress, "v1");

    /// <summary>Writes the tiny preset (vocab 512) and starts a server on it; <paramref name="configure"/> adjusts the options.</summary>
    public static async Task<TestServer> StartAsync(Func<ServerOptions, ServerOptions>? configure = null, bool waitUntilReady = true)
    {
        var dir = new TempDir();
        string path = dir.File("tiny.gguf");
        DummyModelWriter.Write(path, DummyModelSpec.Preset("tiny") with { Seed = 17 });
        var options = new ServerOptions { ModelPath = path, Port = 0, Slots = 4, ContextSize = 1024, Threads = 2 };
        if (configure is not null) options = configure(options);
        var server = await TernServer.StartAsync(options);
        if (waitUntilReady) await server.WaitUntilReadyAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return new TestServer(dir, server);
    }

    /// <summary>Waits (bounded) until no slot is busy and nothing is queued.</summary>
    public async Task WaitUntilIdleAsync()
    {
        var s = Server.Host.Scheduler;
        for (int i = 0; i < 500 && (s.BusySlots > 0 || s.QueueLength > 0); i++) await Task.Delay(20);
        Assert.Equal(0, s.BusySlots);
        Assert.Equal(0, s.QueueLength);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}
