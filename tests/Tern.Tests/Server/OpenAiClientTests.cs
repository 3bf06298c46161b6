#pragma warning disable OPENAI001 // Seed is marked experimental in the OpenAI client
using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace Tern.Tests.Server;

/// <summary>`tern serve` driven by the official OpenAI .NET client and by Microsoft.Extensions.AI's IChatClient over it.</summary>
public sealed class OpenAiClientTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ChatClient Client() => new("tiny", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = _server.ApiAddress });

    [Fact]
    public async Task CompletesAChatAndReportsUsage()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 8, Seed = 5, Temperature = 0.7f };
        ChatCompletion c = await Client().CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Tell me a story.")], options);
        Assert.Equal(ChatMessageRole.Assistant, c.Role);
        Assert.Equal("tiny", c.Model);
        Assert.StartsWith("chatcmpl-", c.Id);
        Assert.Equal(ChatFinishReason.Length, c.FinishReason);
        Assert.Equal(8, c.Usage.OutputTokenCount);
        Assert.True(c.Usage.InputTokenCount > 5);
        Assert.Equal(c.Usage.InputTokenCount + 8, c.Usage.TotalTokenCount);
        Assert.NotEmpty(c.Content[0].Text);

        // Same seed, same reply; the streaming path gives the same text.
        ChatCompletion again = await Client().CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Tell me a story.")], options);
        Assert.Equal(c.Content[0].Text, again.Content[0].Text);
        var streamed = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var u in Client().CompleteChatStreamingAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Tell me a story.")], options))
        {
            foreach (var part in u.ContentUpdate) streamed.Append(part.Text);
            finish ??= u.FinishReason;
            usage ??= u.Usage;
        }
        Assert.Equal(c.Content[0].Text, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Equal(8, usage!.OutputTokenCount); // the client asks for include_usage
        await _server.WaitUntilIdleAsync();
    }

    [Fact]
    public async Task ReturnsLogprobsAndStopsAtAStopString()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0, IncludeLogProbabilities = true, TopLogProbabilityCount = 2 };
        ChatCompletion c = await Client().CompleteChatAsync([new UserChatMessage("Hello")], options);
        Assert.Equal(6, c.ContentTokenLogProbabilities.Count);
        foreach (var t in c.ContentTokenLogProbabilities)
        {
            Assert.Equal(2, t.TopLogProbabilities.Count);
            Assert.True(t.LogProbability <= 0);
            Assert.Equal(t.Token, t.TopLogProbabilities[0].Token); // greedy
        }
        // A stop string taken from the greedy reply itself: the reply then ends before it, with finish reason stop.
        string text = c.Content[0].Text;
        string stop = text.Length > 2 ? text.Substring(text.Length / 2, 1) : text;
        var stopped = await Client().CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0, StopSequences = { stop } });
        Assert.Equal(ChatFinishReason.Stop, stopped.Value.FinishReason);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped.Value.Content.Count == 0 ? "" : stopped.Value.Content[0].Text);
    }

    [Fact]
    public async Task AnUnsupportedParameterIsRefusedByName()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 4, Tools = { ChatTool.CreateFunctionTool("f", "a function") } };
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Client().CompleteChatAsync([new UserChatMessage("Hi")], options));
        Assert.Equal(400, e.Status);
        Assert.Contains("tools", e.Message);
    }

    [Fact]
    public async Task WorksAsAnIChatClientThroughMicrosoftExtensionsAiOpenAi()
    {
        IChatClient chat = Client().AsIChatClient();
        var options = new ChatOptions { MaxOutputTokens = 5, Temperature = 0 };
        var response = await chat.GetResponseAsync("Hello there", options);
        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(5, response.Usage!.OutputTokenCount);
        var streamed = new System.Text.StringBuilder();
        await foreach (var u in chat.GetStreamingResponseAsync("Hello there", options)) streamed.Append(u.Text);
        Assert.Equal(response.Text, streamed.ToString());
    }

    [Fact]
    public async Task EmbedsThroughTheOfficialClientAndMicrosoftExtensionsAi()
    {
        var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = _server.ApiAddress }).GetEmbeddingClient("tiny");
        var one = await client.GenerateEmbeddingAsync("Once upon a time");
        var v = one.Value.ToFloats().ToArray(); // the client asks for base64
        Assert.Equal(256, v.Length);
        Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 1e-5);
        var gen = client.AsIEmbeddingGenerator();
        var many = await gen.GenerateAsync(["Once upon a time", "something else"]);
        Assert.Equal(v, many[0].Vector.ToArray());
        Assert.NotEqual(v, many[1].Vector.ToArray());
    }

    [Fact]
    public async Task ListsTheModel()
    {
        var models = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = _server.ApiAddress }).GetOpenAIModelClient();
        var list = await models.GetModelsAsync();
        Assert.Equal("tiny", Assert.Single(list.Value).Id);
    }
}
