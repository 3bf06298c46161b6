using System.Diagnostics;
using Prometheus;
using Tern.Serving;
using Tern.Server.Hosting;

namespace Tern.Server.Metrics;

/// <summary>
/// The server's Prometheus metrics (prometheus-net), in a registry of its own so that several servers in one process
/// (tests) do not mix. Gauges of the scheduler's state are read at each scrape.
/// </summary>
public sealed class ServerMetrics
{
    private readonly Counter _requests, _promptTokens, _cachedTokens, _generatedTokens;
    private readonly Histogram _ttft, _perToken, _duration;
    private double _lastGenerated;
    private long _lastScrape = Stopwatch.GetTimestamp();

    public ServerMetrics(ModelHost host)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _requests = f.CreateCounter("tern_requests_total", "HTTP requests by route and status.", "route", "status");
        _promptTokens = f.CreateCounter("tern_prompt_tokens_total", "Prompt tokens of finished requests (cached ones included).");
        _cachedTokens = f.CreateCounter("tern_prompt_tokens_cached_total", "Prompt tokens found in a slot's cache instead of computed.");
        _generatedTokens = f.CreateCounter("tern_generated_tokens_total", "Tokens generated.");
        var latency = new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) }; // 1 ms .. 33 s
        _ttft = f.CreateHistogram("tern_time_to_first_token_seconds", "From the request's arrival to its first token.", latency);
        _perToken = f.CreateHistogram("tern_time_per_output_token_seconds", "Mean time between a request's tokens after the first.", latency);
        _duration = f.CreateHistogram("tern_request_duration_seconds", "From a completion's arrival to its end.", latency);
        var queue = f.CreateGauge("tern_queue_length", "Requests waiting for a slot.");
        var busy = f.CreateGauge("tern_busy_slots", "Slots running a request.");
        var slots = f.CreateGauge("tern_slots", "Slots (--parallel).");
        var kvUsed = f.CreateGauge("tern_kv_cache_bytes", "Bytes the slots' KV caches hold.");
        var kvReserved = f.CreateGauge("tern_kv_cache_reserved_bytes", "KV bytes reserved for running requests and idle caches.");
        var kvBudget = f.CreateGauge("tern_kv_cache_budget_bytes", "The KV budget (--kv-budget).");
        var rate = f.CreateGauge("tern_generation_tokens_per_second", "Tokens generated per second since the previous scrape.");
        var ready = f.CreateGauge("tern_model_ready", "1 once the model is loaded.");
        Registry.AddBeforeCollectCallback(() =>
        {
            ready.Set(host.IsReady ? 1 : 0);
            long now = Stopwatch.GetTimestamp();
            double generated = _generatedTokens.Value, seconds = Stopwatch.GetElapsedTime(_lastScrape, now).TotalSeconds;
            if (seconds > 0) rate.Set((generated - _lastGenerated) / seconds);
            _lastGenerated = generated;
            _lastScrape = now;
            if (!host.IsReady) return;
            var s = host.Scheduler;
            queue.Set(s.QueueLength);
            busy.Set(s.BusySlots);
            slots.Set(s.SlotCount);
            kvUsed.Set(s.KvBytesInUse);
            kvReserved.Set(s.Budget.Used);
            kvBudget.Set(s.Budget.Limit);
        });
    }

    public CollectorRegistry Registry { get; }

    public void Request(string route, int status) => _requests.WithLabels(route, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    public void Completed(CompletionResult r)
    {
        _promptTokens.Inc(r.PromptTokens);
        _cachedTokens.Inc(r.CachedPromptTokens);
        _generatedTokens.Inc(r.CompletionTokens);
        _duration.Observe(r.Duration.TotalSeconds);
        if (r.CompletionTokens > 0) _ttft.Observe(r.TimeToFirstToken.TotalSeconds);
        if (r.CompletionTokens > 1) _perToken.Observe((r.Duration - r.TimeToFirstToken).TotalSeconds / (r.CompletionTokens - 1));
    }
}
