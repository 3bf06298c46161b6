using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Tern.Tests.Server;

/// <summary>A bounded load on loopback: 32 concurrent streaming clients × 64 tokens on the tiny model.</summary>
public sealed class LoadTests
{
    [Fact]
    public async Task ThirtyTwoStreamingClientsAllFinishAndFreeEverySlot()
    {
        await using var server = await TestServer.StartAsync(o => o with { Slots = 4, MaxQueue = 64 });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var clients = Enumerable.Range(0, 32).Select(async i =>
        {
            var body = new StringContent($"{{\"prompt\": \"Client {i} says\", \"max_tokens\": 64, \"stream\": true, \"ignore_eos\": true, \"seed\": {i}}}", Encoding.UTF8, "application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = body };
            using var r = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            r.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await r.Content.ReadAsStreamAsync(deadline.Token));
            int tokens = 0;
            string? finish = null;
            bool done = false;
            while (await reader.ReadLineAsync(deadline.Token) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                if (line == "data: [DONE]") { done = true; break; }
                var choice = JsonDocument.Parse(line[6..]).RootElement.GetProperty("choices")[0];
                if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String) finish = choice.GetProperty("finish_reason").GetString();
                else tokens++;
            }
            Assert.True(done);
            Assert.Equal("length", finish);
            return tokens;
        }).ToArray();
        var counts = await Task.WhenAll(clients);
        Assert.All(counts, c => Assert.InRange(c, 1, 64)); // chunks carry text; a partial character waits for the next token
        await server.WaitUntilIdleAsync();
        var s = server.Server.Host.Scheduler;
        // Idle slots keep their caches for prefix reuse: at most one 128-position block set each (prompt + 64 tokens).
        var probe = new Tern.Inference.KvCache(server.Server.Host.Model.Config, s.ContextSize);
        Assert.InRange(s.KvBytesInUse, 1, 4 * probe.BytesFor(128));
        Assert.Equal(s.KvBytesInUse, s.Budget.Used); // reservations shrank back to what the idle caches hold
        var metrics = await server.Http.GetStringAsync("metrics");
        Assert.Contains("tern_requests_total{route=\"/v1/completions\",status=\"200\"} 32", metrics);
        Assert.Contains("tern_generated_tokens_total 2048", metrics);
    }
}
