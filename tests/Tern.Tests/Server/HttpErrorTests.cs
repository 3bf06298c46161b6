using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tern.Tests.Server;

/// <summary>Every refusal of `tern serve` over raw HTTP: status, OpenAI's error shape, the parameter named.</summary>
public sealed class HttpErrorTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o with { MaxBodyBytes = 16 * 1024 });
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>Posts and returns the status and the parsed error object (asserting it has OpenAI's fields).</summary>
    private static async Task<(HttpStatusCode Status, JsonElement Error, HttpResponseMessage Response)> Error(HttpClient http, string path, HttpContent content)
    {
        var r = await http.PostAsync(path, content);
        string text = await r.Content.ReadAsStringAsync();
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
        return (r.StatusCode, error, r);
    }

    [Theory]
    [InlineData("{\"messages\": [", null)]
    [InlineData("not json", null)]
    [InlineData("[1, 2]", null)]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": \"ten\"}", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": -1}", "temperature")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_p\": 2}", "top_p")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 2}", "n")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}", "tools")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logit_bias\": {\"5\": 10}}", "logit_bias")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"response_format\": {\"type\": \"json_object\"}}", "response_format")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": 5}", "stop")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_logprobs\": 3}", "top_logprobs")]
    [InlineData("{\"messages\": []}", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "messages[0].role")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"x\"}}]}]}", "messages[0].content")]
    public async Task BadChatRequestsGet400(string body, string? param)
    {
        var (status, error, _) = await Error(_server.Http, "v1/chat/completions", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("{\"max_tokens\": 4}", "prompt")]
    [InlineData("{\"prompt\": [\"a\", \"b\"]}", "prompt")]
    [InlineData("{\"prompt\": [1, 99999]}", "prompt")]
    [InlineData("{\"prompt\": \"hi\", \"echo\": true}", "echo")]
    [InlineData("{\"prompt\": \"hi\", \"best_of\": 3}", "best_of")]
    [InlineData("{\"prompt\": \"hi\", \"logprobs\": 50}", "logprobs")]
    public async Task BadCompletionRequestsGet400(string body, string param)
    {
        var (status, error, _) = await Error(_server.Http, "v1/completions", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task APromptBeyondTheContextIsContextLengthExceeded()
    {
        var (status, error, _) = await Error(_server.Http, "v1/completions", Json("{\"prompt\": \"Once upon a time\", \"max_tokens\": 5000}"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        string longPrompt = string.Join(",", Enumerable.Range(0, 1100).Select(i => (i % 500).ToString()));
        (status, error, _) = await Error(_server.Http, "v1/completions", Json($"{{\"prompt\": [{longPrompt}]}}"));
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AnOversizedBodyGets413()
    {
        string big = new('a', 20 * 1024);
        var (status, _, _) = await Error(_server.Http, "v1/completions", Json($"{{\"prompt\": \"{big}\"}}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        // The same without a Content-Length (chunked): refused while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($"{{\"prompt\": \"{big}\"}}")));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        var r = await _server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
    }

    [Fact]
    public async Task UnknownRoutesGet404AndUnknownFieldsAreIgnored()
    {
        var r = await _server.Http.GetAsync("v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.True(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.TryGetProperty("error", out _));
        var ok = await _server.Http.PostAsync("v1/completions", Json("{\"prompt\": \"hi\", \"max_tokens\": 2, \"some_future_field\": {\"x\": 1}}"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task TokenizeAndDetokenizeRoundTrip()
    {
        var r = await _server.Http.PostAsync("tokenize", Json("{\"content\": \"Once upon a time\"}"));
        var tokens = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("tokens");
        string ids = string.Join(",", tokens.EnumerateArray().Select(t => t.GetInt32()));
        var d = await _server.Http.PostAsync("detokenize", Json($"{{\"tokens\": [{ids}]}}"));
        Assert.Equal("Once upon a time", JsonDocument.Parse(await d.Content.ReadAsStringAsync()).RootElement.GetProperty("content").GetString());
        var (status, _, _) = await Error(_server.Http, "detokenize", Json("{\"tokens\": [-1]}"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task AClientThatGoesAwayMidStreamFreesItsSlot()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = Json("{\"prompt\": \"Once\", \"max_tokens\": 900, \"stream\": true, \"ignore_eos\": true}") };
        var response = await _server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var stream = await response.Content.ReadAsStreamAsync();
        var reader = new StreamReader(stream);
        Assert.StartsWith("data: {", await reader.ReadLineAsync());
        Assert.Equal(1, _server.Server.Host.Scheduler.BusySlots);
        response.Dispose(); // the connection closes
        await _server.WaitUntilIdleAsync();
    }

    [Fact]
    public async Task MetricsArePrometheusText()
    {
        await _server.Http.PostAsync("v1/completions", Json("{\"prompt\": \"hi\", \"max_tokens\": 3}"));
        var r = await _server.Http.GetAsync("metrics");
        string text = await r.Content.ReadAsStringAsync();
        Assert.StartsWith("text/plain", r.Content.Headers.ContentType!.MediaType);
        foreach (var name in new[] { "tern_requests_total", "tern_generated_tokens_total", "tern_prompt_tokens_total", "tern_queue_length", "tern_busy_slots",
                     "tern_kv_cache_bytes", "tern_time_to_first_token_seconds_bucket", "tern_time_per_output_token_seconds_bucket", "tern_generation_tokens_per_second" })
            Assert.Contains(name, text);
        Assert.Contains("tern_requests_total{route=\"/v1/completions\",status=\"200\"}", text);
    }
}

/// <summary>Limits that need a server of their own: the API key, a full queue, a model that is not (or never) ready.</summary>
public sealed class HttpLimitTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task TheApiKeyIsRequiredWhereSet()
    {
        await using var server = await TestServer.StartAsync(o => o with { ApiKey = "s3cret" });
        var r = await server.Http.GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("invalid_api_key", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        var wrong = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cre");
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Http.SendAsync(wrong)).StatusCode);
        var right = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(right)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("health")).StatusCode); // health stays open for load balancers
    }

    [Fact]
    public async Task AFullQueueGets429WithRetryAfter()
    {
        await using var server = await TestServer.StartAsync(o => o with { Slots = 1, MaxQueue = 0 });
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = Json("{\"prompt\": \"Once\", \"max_tokens\": 900, \"stream\": true, \"ignore_eos\": true}") };
        using var busy = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await new StreamReader(await busy.Content.ReadAsStreamAsync()).ReadLineAsync(); // it holds the only slot
        var r = await server.Http.PostAsync("v1/completions", Json("{\"prompt\": \"hi\", \"max_tokens\": 2}"));
        Assert.Equal((HttpStatusCode)429, r.StatusCode);
        Assert.NotNull(r.Headers.RetryAfter);
        Assert.Equal("rate_limit_error", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task AModelThatIsNotReadyGets503()
    {
        await using var server = await TestServer.StartAsync(o => o with { ModelPath = "/nonexistent/model.gguf" }, waitUntilReady: false);
        for (int i = 0; i < 200 && server.Server.Host.LoadError is null; i++) await Task.Delay(20);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Http.GetAsync("health")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Http.PostAsync("v1/completions", Json("{\"prompt\": \"hi\"}"))).StatusCode);
    }

    [Fact]
    public async Task NoCorsHeadersUnlessAsked()
    {
        await using (var plain = await TestServer.StartAsync())
        {
            var req = new HttpRequestMessage(HttpMethod.Get, "v1/models");
            req.Headers.Add("Origin", "http://example.test");
            var r = await plain.Http.SendAsync(req);
            Assert.False(r.Headers.Contains("Access-Control-Allow-Origin"));
        }
        await using var cors = await TestServer.StartAsync(o => o with { CorsOrigins = ["http://example.test"] });
        var pre = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        pre.Headers.Add("Origin", "http://example.test");
        pre.Headers.Add("Access-Control-Request-Method", "POST");
        var p = await cors.Http.SendAsync(pre);
        Assert.Equal("http://example.test", p.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }
}
