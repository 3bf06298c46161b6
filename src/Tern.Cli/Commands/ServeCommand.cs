using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Tern.Server.Hosting;

namespace Tern.Cli.Commands;

/// <summary>`tern serve`: the OpenAI-compatible server (see Tern.Server), until Ctrl-C.</summary>
internal static class ServeCommand
{
    public static Command Create(CliIO io)
    {
        var model = CommonOptions.Model();
        var host = new Option<string>("--host") { Description = "address to listen on (loopback unless told otherwise; 0.0.0.0 for every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "port to listen on", DefaultValueFactory = _ => 8080 };
        var parallel = new Option<int>("--parallel", "-np") { Description = "requests decoded together (slots)", DefaultValueFactory = _ => 4 };
        var threads = CommonOptions.Threads();
        var ctx = CommonOptions.Context();
        var cache = CommonOptions.CacheType();
        var apiKey = new Option<string?>("--api-key") { Description = "require 'Authorization: Bearer KEY' on API requests (default: $TERN_API_KEY, else none)" };
        var maxQueue = new Option<int>("--max-queue") { Description = "requests that may wait for a slot before 429", DefaultValueFactory = _ => 64 };
        var cors = new Option<string[]>("--cors") { Description = "allow browser calls from this origin (repeatable); no CORS by default", AllowMultipleArgumentsPerToken = false };
        var kvBudget = new Option<string?>("--kv-budget") { Description = "KV cache bytes for all slots together, e.g. 2G or 512M (default: half the available memory)" };
        var alias = new Option<string?>("--alias", "-a") { Description = "model id reported to clients (default: the file name)" };
        var batch = new Option<int>("--batch-size", "-b") { Description = "tokens per forward pass (decoding tokens plus prompt chunks)", DefaultValueFactory = _ => 512 };
        var topK = CommonOptions.TopKOutput();
        var cmd = new Command("serve", "Serve the model over an OpenAI-compatible HTTP API with a web chat page.")
        {
            model, host, port, parallel, threads, ctx, cache, apiKey, maxQueue, cors, kvBudget, alias, batch, topK,
        };
        var i2sLayout = CommonOptions.I2SLayout();
        cmd.Options.Add(i2sLayout);
        cmd.SetGuardedAction(io, p =>
        {
            int threadCount = CommonOptions.CheckThreads(p.GetValue(threads), io);
            int slots = p.GetValue(parallel);
            if (slots is < 1 or > 256) throw new UserError($"--parallel must be between 1 and 256 (got {slots})");
            if (p.GetValue(port) is < 0 or > 65535) throw new UserError($"--port must be between 0 and 65535 (got {p.GetValue(port)})");
            if (p.GetValue(maxQueue) < 0) throw new UserError("--max-queue must be 0 or more");
            if (p.GetValue(batch) < 1) throw new UserError("--batch-size must be at least 1");
            if (p.GetValue(ctx) < 0) throw new UserError("--ctx-size must be positive");
            var layout = CommonOptions.ParseI2SLayout(p.GetValue(i2sLayout));
            string path = CommonOptions.ResolveModel(p.GetValue(model), io);
            var options = new ServerOptions
            {
                ModelPath = path,
                I2SLayout = layout,
                ModelAlias = p.GetValue(alias),
                Host = p.GetValue(host)!,
                Port = p.GetValue(port),
                Slots = slots,
                Threads = threadCount,
                TopKOutput = p.GetValue(topK),
                ContextSize = p.GetValue(ctx),
                CacheType = CommonOptions.ParseCacheType(p.GetValue(cache)),
                ApiKey = p.GetValue(apiKey) ?? (Environment.GetEnvironmentVariable("TERN_API_KEY") is { Length: > 0 } k ? k : null),
                MaxQueue = p.GetValue(maxQueue),
                CorsOrigins = p.GetValue(cors) ?? [],
                KvBudgetBytes = p.GetValue(kvBudget) is { } b ? ParseBytes(b) : 0,
                StepTokens = Math.Max(p.GetValue(batch), slots),
            };
            return Run(options, io).GetAwaiter().GetResult();
        });
        return cmd;
    }

    private static async Task<int> Run(ServerOptions options, CliIO io)
    {
        using var stop = new CancellationTokenSource();
        // Ctrl-C (SIGINT), `kill`, `docker stop` and systemd (SIGTERM) all stop the server the same way: gracefully.
        void OnSignal(PosixSignalContext c)
        {
            c.Cancel = true;
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            await using var server = await TernServer.StartAsync(options);
            io.Err.WriteLine($"listening on {server.BaseAddress} (loading {Path.GetFileName(options.ModelPath)} …)" + (options.ApiKey is null ? "" : " — API key required"));
            try { await server.WaitUntilReadyAsync(stop.Token); }
            catch (OperationCanceledException) { return 130; }
            var h = server.Host;
            CommonOptions.ReportI2SLayout(h.Model, io);
            io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ready: {h.ModelId} | {h.Model.Config} | kernel {h.Model.Kernel.Name} | {h.Scheduler.SlotCount} slots × {h.Scheduler.ContextSize} tokens | {CommonOptions.ThreadCount(h.Scheduler.Threads)} | KV budget {h.Scheduler.Budget.Limit / (1 << 20)} MiB | chat template {h.Template.Name}"));
            io.Err.WriteLine($"open {server.BaseAddress} in a browser, or point an OpenAI client at {server.BaseAddress}v1 — Ctrl-C stops");
            Console.Error.Flush();
            await server.WaitForShutdownAsync(stop.Token);
            io.Err.WriteLine("shutting down");
            return 0;
        }
        catch (InvalidOperationException e) when (e.InnerException is not null)
        {
            throw new UserError(e.Message);
        }
    }

    /// <summary>A byte count with an optional K/M/G/T suffix (powers of 1024).</summary>
    internal static long ParseBytes(string text)
    {
        string s = text.Trim().ToUpperInvariant().TrimEnd('B', 'I');
        long unit = 1;
        if (s.Length > 0 && "KMGT".IndexOf(s[^1]) is int i and >= 0)
        {
            unit = 1L << (10 * (i + 1));
            s = s[..^1];
        }
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || v * unit > long.MaxValue / 2)
            throw new UserError($"--kv-budget expects a size such as 2G or 512M, got '{text}'");
        return (long)(v * unit);
    }
}
