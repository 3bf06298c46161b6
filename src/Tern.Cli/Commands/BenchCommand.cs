using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tern.Benchmarking;
using Tern.Inference;
using Tern.Models;
using Tern.Threading;

namespace Tern.Cli.Commands;

/// <summary>`tern bench`: prompt-processing and generation speed, like llama-bench, with the read-bandwidth roof measured in the same run.</summary>
internal static class BenchCommand
{
    public static Command Create(CliIO io)
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string>("--n-prompt", "-p") { Description = "prompt sizes, comma-separated (0 = none)", DefaultValueFactory = _ => "512" };
        var gen = new Option<string>("--n-gen", "-n") { Description = "generation lengths, comma-separated (0 = none)", DefaultValueFactory = _ => "128" };
        var threads = new Option<string>("--threads", "-t") { Description = "thread counts, comma-separated", DefaultValueFactory = _ => WorkerPool.DefaultThreadCount.ToString(CultureInfo.InvariantCulture) };
        var repeats = new Option<int>("--repetitions", "-r") { Description = "repeats per test", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--output", "-o") { Description = "md, json or csv", DefaultValueFactory = _ => "md" };
        var noBandwidth = new Option<bool>("--no-bandwidth") { Description = "skip the memory bandwidth measurement" };
        var cache = CommonOptions.CacheType();
        var topK = CommonOptions.TopKOutput();
        var profile = new Option<bool>("--profile") { Description = "also print the time spent in each operation per test (on stderr)" };
        var parallel = new Option<string?>("--parallel", "-np") { Description = "also measure N concurrent streams through the scheduler, comma-separated (e.g. 1,4,8): aggregate generation, and the time to first token of a -p prompt beside N-1 decoding streams" };
        var withLoad = new Option<int>("--with-load") { Description = "run N competing busy processes during the measurements (a shared machine), killed afterwards" };
        var cmd = new Command("bench", "Measure prompt processing and generation speed.") { model, prompt, gen, threads, repeats, output, noBandwidth, cache, topK, profile, parallel, withLoad };
        var i2sLayout = CommonOptions.I2SLayout();
        cmd.Options.Add(i2sLayout);
        cmd.SetGuardedAction(io, p =>
        {
            var pp = ParseList(p.GetValue(prompt)!, "--n-prompt", 0);
            var tg = ParseList(p.GetValue(gen)!, "--n-gen", 0);
            var ts = ParseList(p.GetValue(threads)!, "--threads", 1).Select(t => CommonOptions.CheckThreads(t, io)).ToArray(); // repeats allowed: -t 1,2,1,2 alternates
            int loadCount = p.GetValue(withLoad);
            if (loadCount < 0 || loadCount > 256) throw new UserError($"--with-load must be between 0 and 256 (got {loadCount})");
            int r = p.GetValue(repeats);
            if (r < 1) throw new UserError("--repetitions must be at least 1");
            string format = p.GetValue(output)!.ToLowerInvariant();
            if (format is not ("md" or "json" or "csv")) throw new UserError($"unknown --output '{format}' (md, json or csv)");
            var cacheType = CommonOptions.ParseCacheType(p.GetValue(cache));
            var streams = p.GetValue(parallel) is { } list ? ParseList(list, "--parallel", 1) : null;
            var layout = CommonOptions.ParseI2SLayout(p.GetValue(i2sLayout));
            string path = CommonOptions.ResolveModel(p.GetValue(model), io);

            var load = Stopwatch.StartNew();
            using var m = Model.Load(path, new ModelOptions { I2SLayout = layout });
            CommonOptions.ReportI2SLayout(m, io);
            double loadMs = load.Elapsed.TotalMilliseconds;
            var rows = new List<Row>();
            long peakRss = 0;
            using var competing = new CompetingLoad(loadCount); // killed on the way out, whatever happens
            foreach (int t in ts)
            {
                double? roof = null, bw = null;
                if (!p.GetValue(noBandwidth) && tg.Any(n => n > 0))
                {
                    peakRss = Math.Max(peakRss, Process.GetCurrentProcess().PeakWorkingSet64);
                    using var pool = new WorkerPool(t);
                    bw = MemoryBandwidth.Measure(pool);
                    roof = bw / m.WeightBytesPerToken; // the full F16 output product's bytes, the lossless baseline
                    ResetPeakRss(); // the probe's 1 GiB buffer (freed again) is not the engine's memory
                }
                foreach (int n in pp.Where(n => n > 0))
                    rows.Add(Profiled(io, p.GetValue(profile), () => new Row(ModelBenchmark.PromptProcessing(m, t, n, r, cacheType), null, null)));
                foreach (int n in tg.Where(n => n > 0))
                    rows.Add(Profiled(io, p.GetValue(profile), () => new Row(ModelBenchmark.Generation(m, t, n, r, cacheType, p.GetValue(topK)), bw, roof)));
                if (streams is not null) RunParallel(io, m, t, streams, pp, tg, r, cacheType, rows, p.GetValue(profile), p.GetValue(topK));
            }
            bool ownSession = competing.OwnSession;
            competing.Dispose();
            long rss = Math.Max(peakRss, Process.GetCurrentProcess().PeakWorkingSet64);
            var info = new Info(Path.GetFileName(path), new FileInfo(path).Length, m.WeightBytesPerToken, m.CopiedBytes, m.Kernel.Name, loadMs, rss, loadCount, ownSession);
            switch (format)
            {
                case "json": WriteJson(io.Out, rows, info); break;
                case "csv": WriteCsv(io.Out, rows, info); break;
                default: WriteMarkdown(io.Out, rows, info); break;
            }
            return 0;
        });
        return cmd;
    }

    private static Row Profiled(CliIO io, bool on, Func<Row> run)
    {
        if (!on) return run();
        var profile = Inference.OpProfile.Current = new Inference.OpProfile();
        try
        {
            var row = run();
            io.Err.WriteLine($"profile of {row.Result.Test} at {CommonOptions.ThreadCount(row.Result.Threads)} (all repeats and warm-up; ms, calls):");
            foreach (var (op, ms, calls) in profile.Entries)
                io.Err.WriteLine($"  {op,-16} {ms,10:F1} ms {calls,8}");
            return row;
        }
        finally
        {
            Inference.OpProfile.Current = null;
        }
    }

    private sealed record Row(BenchResult Result, double? Bandwidth, double? Roof);

    /// <summary>`--parallel`: aggregate generation of N streams (rows), and time to first token under load (stderr).</summary>
    private static void RunParallel(CliIO io, Model m, int threads, int[] streams, int[] pp, int[] tg, int repeats, Inference.KvCacheType cache, List<Row> rows, bool profile, bool topK)
    {
        var tokenizer = Tokenizers.Tokenizer.FromGguf(m.File);
        foreach (int n in tg.Where(n => n > 0))
            foreach (int k in streams)
                rows.Add(Profiled(io, profile, () => new Row(ServingBenchmark.Aggregate(m, tokenizer, threads, k, n, repeats, cache, Inference.OpProfile.Current, topK), null, null)));
        foreach (int prompt in pp.Where(x => x > 0))
            foreach (int k in streams.Where(k => k > 1))
            {
                var (idle, loaded) = ServingBenchmark.TimeToFirstToken(m, tokenizer, threads, prompt, k - 1, repeats, cache: cache);
                io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"time to first token, {prompt}-token prompt, {CommonOptions.ThreadCount(threads)}: idle {idle * 1e3:F1} ms, beside {k - 1} decoding streams {loaded * 1e3:F1} ms ({loaded / idle:F2} x)"));
            }
    }

    /// <summary>Linux: restart the peak-RSS high-water mark from the current RSS (elsewhere the probe stays in the peak).</summary>
    private static void ResetPeakRss()
    {
        try { if (OperatingSystem.IsLinux()) File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
    private sealed record Info(string Model, long FileBytes, long BytesPerToken, long CopiedBytes, string Kernel, double LoadMs, long PeakRss, int CompetingLoad, bool LoadOwnSession);

    private static int[] ParseList(string s, string name, int min)
    {
        var parts = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UserError($"{name} is empty");
        const int max = 1 << 16;
        return parts.Select(x => !int.TryParse(x, CultureInfo.InvariantCulture, out int v)
            ? throw new UserError($"{name} expects comma-separated integers, got '{x}'")
            : v < min || v > max ? throw new UserError($"{name}: {v} is out of range ({min}..{max})") : v).ToArray();
    }

    private static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    private static void WriteMarkdown(TextWriter o, List<Row> rows, Info i)
    {
        o.WriteLine($"model: {i.Model} ({i.FileBytes / 1e6:F1} MB), weights read per token {i.BytesPerToken / 1e6:F1} MB, copied at load {i.CopiedBytes / 1e6:F1} MB, kernel {i.Kernel}, load {i.LoadMs:F0} ms");
        if (i.CompetingLoad > 0)
            o.WriteLine($"measured with {i.CompetingLoad} competing busy process{(i.CompetingLoad == 1 ? "" : "es")} ({(i.LoadOwnSession ? "each in its own session" : "in this session")}) on {Environment.ProcessorCount} logical processors, killed afterwards");
        o.WriteLine();
        o.WriteLine("| test | threads | t/s median | t/s min | t/s max | read GB/s | roof t/s | % of roof | GC gen0/gen2 | busy % |");
        o.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (r, bw, roof) in rows)
            o.WriteLine($"| {r.Test} | {r.Threads} | {F(r.Median)} | {F(r.Min)} | {F(r.Max)} | {(bw is { } b ? F(b / 1e9) : "")} | {(roof is { } x ? F(x) : "")} | {(roof is { } y ? F(100 * r.Median / y) : "")} | {r.Gen0Collections}/{r.Gen2Collections} | {r.ReducedShare * 100:F0} |");
        o.WriteLine();
        o.WriteLine("busy %: share of the parallel operations run on fewer threads because the machine was found busy");
        o.WriteLine();
        o.WriteLine($"peak RSS {i.PeakRss / 1e6:F0} MB");
    }

    private static void WriteCsv(TextWriter o, List<Row> rows, Info i)
    {
        o.WriteLine("model,test,threads,tokens_per_second_median,tokens_per_second_min,tokens_per_second_max,read_gb_per_s,roof_tokens_per_second,kernel,gc_gen0,gc_gen2,peak_rss_bytes,competing_load,reduced_share");
        foreach (var (r, bw, roof) in rows)
            o.WriteLine(string.Join(",", i.Model, r.Test, r.Threads, F(r.Median), F(r.Min), F(r.Max),
                bw is { } b ? F(b / 1e9) : "", roof is { } x ? F(x) : "", i.Kernel, r.Gen0Collections, r.Gen2Collections, i.PeakRss, i.CompetingLoad, r.ReducedShare.ToString("F3", CultureInfo.InvariantCulture)));
    }

    private static void WriteJson(TextWriter o, List<Row> rows, Info i)
    {
        var items = rows.Select(x => new Dictionary<string, object?>
        {
            ["model"] = i.Model,
            ["model_bytes"] = i.FileBytes,
            ["weight_bytes_per_token"] = i.BytesPerToken,
            ["test"] = x.Result.Test,
            ["threads"] = x.Result.Threads,
            ["tokens"] = x.Result.Tokens,
            ["tokens_per_second_median"] = x.Result.Median,
            ["tokens_per_second_min"] = x.Result.Min,
            ["tokens_per_second_max"] = x.Result.Max,
            ["tokens_per_second_samples"] = x.Result.TokensPerSecond,
            ["read_bytes_per_second"] = x.Bandwidth,
            ["roof_tokens_per_second"] = x.Roof,
            ["kernel"] = i.Kernel,
            ["gc_gen0"] = x.Result.Gen0Collections,
            ["gc_gen2"] = x.Result.Gen2Collections,
            ["peak_rss_bytes"] = i.PeakRss,
            ["load_ms"] = i.LoadMs,
            ["competing_load"] = i.CompetingLoad,
            ["reduced_share"] = x.Result.ReducedShare,
        });
        o.WriteLine(JsonSerializer.Serialize(items, new JsonSerializerOptions { WriteIndented = true }));
    }
}
