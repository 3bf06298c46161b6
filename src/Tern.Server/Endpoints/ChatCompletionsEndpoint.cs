using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tern.Chat;
using Tern.Serving;
using Tern.Server.Hosting;
using Tern.Server.Metrics;
using Tern.Server.Protocol;

namespace Tern.Server.Endpoints;

/// <summary>POST /v1/chat/completions: the conversation rendered with the model's chat template, completed by the scheduler.</summary>
internal static class ChatCompletionsEndpoint
{
    public static async Task Handle(HttpContext http, ModelHost host, ServerMetrics metrics)
    {
        var body = await RequestBody.ReadAsync(http, OpenAiJson.Default.ChatCompletionBody);
        var request = Translate(body, host);
        var ct = http.RequestAborted;
        var handle = Completions.Submit(host, request, ct, "messages");
        string id = Completions.NewId("chatcmpl-");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        bool logprobs = body.Logprobs == true;

        if (body.Stream != true)
        {
            var tokens = new List<ChatTokenLogprob>();
            await foreach (var c in handle.Chunks.ReadAllAsync(ct))
                if (logprobs && c.Logprob is { } lp) tokens.Add(Logprob(host, lp, c.TopLogprobs!));
            var r = await Completions.ResultAsync(handle, metrics, ct);
            var choice = new ChatChoice(0, new ChatMessageOut("assistant", r.Text), logprobs ? new ChatLogprobs(tokens) : null, Completions.FinishReason(r));
            await Completions.WriteJsonAsync(http, new ChatCompletionResponse(id, "chat.completion", created, host.ModelId, [choice], Completions.Usage(r), null), OpenAiJson.Default.ChatCompletionResponse);
            return;
        }

        bool usage = body.StreamOptions?.IncludeUsage == true;
        var sse = new ServerSentEvents(http.Response);
        await sse.StartAsync(ct);
        ChatCompletionChunk Chunk(ChatDelta delta, ChatLogprobs? lp, string? finish) =>
            new(id, "chat.completion.chunk", created, host.ModelId, [new ChatChunkChoice(0, delta, lp, finish)], null, null);
        await sse.WriteAsync(Chunk(new ChatDelta { Role = "assistant", Content = "" }, null, null), OpenAiJson.Default.ChatCompletionChunk, ct);
        await foreach (var c in handle.Chunks.ReadAllAsync(ct))
        {
            var lp = logprobs && c.Logprob is { } l ? new ChatLogprobs([Logprob(host, l, c.TopLogprobs!)]) : null;
            if (c.Text.Length > 0 || lp is not null)
                await sse.WriteAsync(Chunk(new ChatDelta { Content = c.Text }, lp, null), OpenAiJson.Default.ChatCompletionChunk, ct);
        }
        var result = await Completions.StreamResultAsync(handle, metrics, sse, ct);
        if (result is null) return;
        await sse.WriteAsync(Chunk(new ChatDelta(), null, Completions.FinishReason(result)), OpenAiJson.Default.ChatCompletionChunk, ct);
        if (usage)
            await sse.WriteAsync(new ChatCompletionChunk(id, "chat.completion.chunk", created, host.ModelId, [], Completions.Usage(result), null), OpenAiJson.Default.ChatCompletionChunk, ct);
        await sse.DoneAsync(ct);
    }

    internal static CompletionRequest Translate(ChatCompletionBody body, ModelHost host)
    {
        SamplingTranslation.RefuseUnsupported(body);
        if (!SamplingTranslation.IsNullOrEmpty(body.Tools)) throw ApiException.BadRequest("tools are not supported", "tools");
        if (!SamplingTranslation.IsNullOrEmpty(body.Functions)) throw ApiException.BadRequest("functions are not supported", "functions");
        if (body.ToolChoice is { ValueKind: not JsonValueKind.Null } tc && !(tc.ValueKind == JsonValueKind.String && tc.GetString() == "none"))
            throw ApiException.BadRequest("tool_choice is not supported", "tool_choice");
        if (body.FunctionCall is { ValueKind: not JsonValueKind.Null }) throw ApiException.BadRequest("function_call is not supported", "function_call");
        if (body.ResponseFormat is { ValueKind: JsonValueKind.Object } rf &&
            !(rf.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "text"))
            throw ApiException.BadRequest("only response_format {\"type\": \"text\"} is supported", "response_format");
        if (body.TopLogprobs is int tl && (tl < 0 || tl > 20)) throw ApiException.BadRequest("top_logprobs must be between 0 and 20", "top_logprobs");
        if (body.TopLogprobs is > 0 && body.Logprobs != true) throw ApiException.BadRequest("top_logprobs requires logprobs to be true", "top_logprobs");

        var turns = Turns(body.Messages);
        int[] prompt;
        try { prompt = ChatPrompt.Encode(host.Template, host.Tokenizer, turns); }
        catch (ChatTemplateException e) { throw ApiException.BadRequest($"the chat template failed: {e.Message}", "messages"); }
        var scheduler = host.Scheduler;
        return new CompletionRequest
        {
            Prompt = prompt,
            MaxTokens = body.MaxCompletionTokens is not null
                ? SamplingTranslation.MaxTokens(body.MaxCompletionTokens, "max_completion_tokens")
                : SamplingTranslation.MaxTokens(body.MaxTokens, "max_tokens"),
            Sampler = SamplingTranslation.Sampler(body, scheduler.ContextSize),
            StopStrings = [.. host.Template.StopStrings, .. SamplingTranslation.Stops(body.Stop)],
            StopAtEndOfGeneration = body.IgnoreEos != true,
            TopLogprobs = body.Logprobs == true ? body.TopLogprobs ?? 0 : -1,
        };
    }

    private static List<ChatTurn> Turns(List<ChatMessageBody>? messages)
    {
        if (messages is not { Count: > 0 }) throw ApiException.BadRequest("messages must be a non-empty array", "messages");
        var turns = new List<ChatTurn>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i] ?? throw ApiException.BadRequest($"messages[{i}] must be an object", $"messages[{i}]");
            string role = m.Role switch
            {
                "system" or "developer" => "system",
                "user" => "user",
                "assistant" => "assistant",
                null => throw ApiException.BadRequest($"messages[{i}].role is required", $"messages[{i}].role"),
                var other => throw ApiException.BadRequest($"messages[{i}].role '{other}' is not supported (system, developer, user, assistant)", $"messages[{i}].role"),
            };
            if (!SamplingTranslation.IsNullOrEmpty(m.ToolCalls)) throw ApiException.BadRequest("tool calls are not supported", $"messages[{i}].tool_calls");
            turns.Add(new ChatTurn(role, Content(m.Content, i)));
        }
        return turns;
    }

    /// <summary>A message's text: a string, or the text parts of a content array joined (other parts are refused).</summary>
    private static string Content(JsonElement? content, int i)
    {
        string param = $"messages[{i}].content";
        if (content is not { } c || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest($"{param} must be a string or an array of content parts", param);
        var text = new StringBuilder();
        foreach (var part in c.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest($"{param} parts must be objects with a type", param);
            if (type.GetString() != "text") throw ApiException.BadRequest($"{param}: content of type '{type.GetString()}' is not supported (text only)", param);
            if (!part.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String) throw ApiException.BadRequest($"{param}: a text part needs a text string", param);
            if (text.Length > 0) text.Append('\n');
            text.Append(t.GetString());
        }
        return text.ToString();
    }

    private static ChatTokenLogprob Logprob(ModelHost host, TokenLogprob lp, TokenLogprob[] top)
    {
        var (text, bytes) = Completions.TokenText(host, lp.Token);
        return new ChatTokenLogprob(text, lp.Logprob, bytes, [.. top.Select(t =>
        {
            var (tt, tb) = Completions.TokenText(host, t.Token);
            return new ChatTopLogprob(tt, t.Logprob, tb);
        })]);
    }
}
