using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tern.Serving;
using Tern.Server.Hosting;
using Tern.Server.Metrics;
using Tern.Server.Protocol;

namespace Tern.Server.Endpoints;

/// <summary>POST /v1/completions: a plain prompt (text or token ids) continued by the scheduler.</summary>
internal static class TextCompletionsEndpoint
{
    public static async Task Handle(HttpContext http, ModelHost host, ServerMetrics metrics)
    {
        var body = await RequestBody.ReadAsync(http, OpenAiJson.Default.CompletionBody);
        var request = Translate(body, host);
        var ct = http.RequestAborted;
        var handle = Completions.Submit(host, request, ct, "prompt");
        string id = Completions.NewId("cmpl-");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        bool logprobs = body.Logprobs is not null;

        if (body.Stream != true)
        {
            var lp = new LogprobsBuilder(host);
            await foreach (var c in handle.Chunks.ReadAllAsync(ct)) lp.Add(c);
            var r = await Completions.ResultAsync(handle, metrics, ct);
            var choice = new CompletionChoice(r.Text, 0, logprobs ? lp.Build() : null, Completions.FinishReason(r));
            await Completions.WriteJsonAsync(http, new CompletionResponse(id, "text_completion", created, host.ModelId, [choice], Completions.Usage(r), null), OpenAiJson.Default.CompletionResponse);
            return;
        }

        bool usage = body.StreamOptions?.IncludeUsage == true;
        var sse = new ServerSentEvents(http.Response);
        await sse.StartAsync(ct);
        CompletionResponse Chunk(string text, CompletionLogprobs? lp, string? finish) =>
            new(id, "text_completion", created, host.ModelId, [new CompletionChoice(text, 0, lp, finish)], null, null);
        int offset = 0;
        await foreach (var c in handle.Chunks.ReadAllAsync(ct))
        {
            CompletionLogprobs? lp = null;
            if (logprobs && c.Logprob is not null)
            {
                var one = new LogprobsBuilder(host, offset);
                one.Add(c);
                lp = one.Build();
            }
            offset += c.Text.Length;
            if (c.Text.Length > 0 || lp is not null) await sse.WriteAsync(Chunk(c.Text, lp, null), OpenAiJson.Default.CompletionResponse, ct);
        }
        var result = await Completions.StreamResultAsync(handle, metrics, sse, ct);
        if (result is null) return;
        await sse.WriteAsync(Chunk("", null, Completions.FinishReason(result)), OpenAiJson.Default.CompletionResponse, ct);
        if (usage)
            await sse.WriteAsync(new CompletionResponse(id, "text_completion", created, host.ModelId, [], Completions.Usage(result), null), OpenAiJson.Default.CompletionResponse, ct);
        await sse.DoneAsync(ct);
    }

    internal static CompletionRequest Translate(CompletionBody body, ModelHost host)
    {
        SamplingTranslation.RefuseUnsupported(body);
        if (body.Echo == true) throw ApiException.BadRequest("echo is not supported", "echo");
        if (body.Suffix is { Length: > 0 }) throw ApiException.BadRequest("suffix is not supported", "suffix");
        if (body.BestOf is int b && b != 1) throw ApiException.BadRequest("only best_of = 1 is supported", "best_of");
        if (body.Logprobs is int l && (l < 0 || l > 20)) throw ApiException.BadRequest("logprobs must be between 0 and 20", "logprobs");
        var prompt = Prompt(body.Prompt, host);
        return new CompletionRequest
        {
            Prompt = prompt,
            MaxTokens = body.MaxTokens is null ? 16 : SamplingTranslation.MaxTokens(body.MaxTokens, "max_tokens"), // OpenAI's default for completions
            Sampler = SamplingTranslation.Sampler(body, host.Scheduler.ContextSize),
            StopStrings = SamplingTranslation.Stops(body.Stop),
            StopAtEndOfGeneration = body.IgnoreEos != true,
            TopLogprobs = body.Logprobs ?? -1,
            StripLeadingSpace = prompt is [var only] && only == host.Tokenizer.BosId,
        };
    }

    /// <summary>A string, an array holding one string, or an array of token ids (one prompt: n prompts are refused).</summary>
    private static int[] Prompt(JsonElement? prompt, ModelHost host)
    {
        var tok = host.Tokenizer;
        int[] ids;
        if (prompt is not { } p || p.ValueKind == JsonValueKind.Null) throw ApiException.BadRequest("prompt is required", "prompt");
        if (p.ValueKind == JsonValueKind.String) ids = tok.Encode(p.GetString()!, tok.AddBosByDefault, parseSpecial: true);
        else if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String)
            ids = tok.Encode(p[0].GetString()!, tok.AddBosByDefault, parseSpecial: true);
        else if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.Array) ids = Ids(p[0], tok.VocabSize);
        else if (p.ValueKind == JsonValueKind.Array && p.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number)) ids = Ids(p, tok.VocabSize);
        else if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() > 1) throw ApiException.BadRequest("only one prompt per request is supported", "prompt");
        else throw ApiException.BadRequest("prompt must be a string or an array of token ids", "prompt");
        if (ids.Length == 0) throw ApiException.BadRequest("the prompt has no tokens", "prompt");
        return ids;
    }

    private static int[] Ids(JsonElement array, int vocab)
    {
        var ids = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int id) || id < 0 || id >= vocab)
                throw ApiException.BadRequest($"prompt token ids must be integers between 0 and {vocab - 1}", "prompt");
            ids[i++] = id;
        }
        return ids;
    }

    /// <summary>The legacy logprobs object: parallel lists of tokens, their log-probabilities, alternatives and text offsets.</summary>
    private sealed class LogprobsBuilder(ModelHost host, int offset = 0)
    {
        private readonly List<string> _tokens = new();
        private readonly List<float> _logprobs = new();
        private readonly List<Dictionary<string, float>> _top = new();
        private readonly List<int> _offsets = new();
        private int _offset = offset;

        public void Add(CompletionChunk c)
        {
            if (c.Logprob is { } lp)
            {
                _tokens.Add(Completions.TokenText(host, lp.Token).Text);
                _logprobs.Add(lp.Logprob);
                var top = new Dictionary<string, float>();
                foreach (var t in c.TopLogprobs!) top.TryAdd(Completions.TokenText(host, t.Token).Text, t.Logprob);
                _top.Add(top);
                _offsets.Add(_offset);
            }
            _offset += c.Text.Length;
        }

        public CompletionLogprobs Build() => new(_tokens, _logprobs, _top, _offsets);
    }
}
