using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Tern.Dummy;
using Tern.Extensions.AI;
using Tern.Serving;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Extensions.AI;

/// <summary>TernChatClient and TernEmbeddingGenerator on the tiny model: options, usage, streaming, cancellation, middleware, batching.</summary>
public sealed class TernChatClientTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TernModel _model;

    public TernChatClientTests()
    {
        string path = _dir.File("tiny.gguf");
        DummyModelWriter.Write(path, DummyModelSpec.Preset("tiny") with { Seed = 29 });
        _model = TernModel.Load(path, new SchedulerOptions { Slots = 4, ContextSize = 2048, Threads = 2 });
    }

    public void Dispose()
    {
        _model.Dispose();
        _dir.Dispose();
    }

    private static readonly ChatMessage[] Conversation = [new(ChatRole.System, "You tell stories."), new(ChatRole.User, "Once upon a time")];

    [Fact]
    public async Task RespondsWithUsageAndTheSameTextWhenStreamed()
    {
        IChatClient chat = new TernChatClient(_model);
        var options = new ChatOptions { MaxOutputTokens = 12, Temperature = 0.9f, TopK = 20, TopP = 0.9f, Seed = 7, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f };
        var r = await chat.GetResponseAsync(Conversation, options);
        Assert.Equal(ChatFinishReason.Length, r.FinishReason);
        Assert.Equal(12, r.Usage!.OutputTokenCount);
        Assert.Equal(r.Usage.InputTokenCount + 12, r.Usage.TotalTokenCount);
        Assert.Equal("tiny", r.ModelId);
        Assert.Equal(ChatRole.Assistant, r.Messages.Single().Role);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in chat.GetStreamingResponseAsync(Conversation, options)) updates.Add(u);
        var streamed = updates.ToChatResponse();
        Assert.Equal(r.Text, streamed.Text);
        Assert.Equal(ChatFinishReason.Length, streamed.FinishReason);
        Assert.Equal(12, streamed.Usage!.OutputTokenCount);
        Assert.True(streamed.Usage.CachedInputTokenCount > 0); // the second call found the conversation in a slot's cache
        Assert.Equal(r.Text, (await chat.GetResponseAsync(Conversation, options)).Text); // same seed, same text
    }

    [Fact]
    public async Task StopSequencesEndTheReply()
    {
        IChatClient chat = new TernChatClient(_model);
        var full = await chat.GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 10, Temperature = 0 });
        string stop = full.Text.Substring(full.Text.Length / 2, 1);
        var cut = await chat.GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 10, Temperature = 0, StopSequences = [stop] });
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
        Assert.Equal(full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
    }

    [Fact]
    public async Task UnsupportedOptionsAndContentAreRefusedByName()
    {
        IChatClient chat = new TernChatClient(_model);
        var tools = new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] };
        Assert.Contains("Tools", (await Assert.ThrowsAsync<NotSupportedException>(() => chat.GetResponseAsync(Conversation, tools))).Message);
        var json = new ChatOptions { ResponseFormat = ChatResponseFormat.Json };
        Assert.Contains("ResponseFormat", (await Assert.ThrowsAsync<NotSupportedException>(() => chat.GetResponseAsync(Conversation, json))).Message);
        var image = new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "image/png")]);
        await Assert.ThrowsAsync<NotSupportedException>(() => chat.GetResponseAsync([image]));
        await Assert.ThrowsAsync<NotSupportedException>(() => chat.GetResponseAsync([new ChatMessage(ChatRole.Tool, "x")]));
    }

    [Fact]
    public async Task CancellationEndsBothKindsOfCallAndFreesTheSlot()
    {
        IChatClient chat = new TernChatClient(_model);
        using var cts = new CancellationTokenSource();
        var options = new ChatOptions { Temperature = 0, AdditionalProperties = null };
        var call = chat.GetResponseAsync(Conversation, options, cts.Token);
        await Task.Delay(50);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        using var cts2 = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var u in chat.GetStreamingResponseAsync(Conversation, options, cts2.Token)) cts2.Cancel();
        });
        for (int i = 0; i < 500 && _model.Scheduler.BusySlots > 0; i++) await Task.Delay(10);
        Assert.Equal(0, _model.Scheduler.BusySlots);
    }

    [Fact]
    public async Task ComposesWithLoggingAndOpenTelemetryMiddleware()
    {
        var log = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(log).SetMinimumLevel(LogLevel.Trace));
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "tern-test",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Add,
        };
        ActivitySource.AddActivityListener(listener);
        IChatClient chat = new ChatClientBuilder(new TernChatClient(_model))
            .UseLogging(factory)
            .UseOpenTelemetry(sourceName: "tern-test")
            .Build();
        var r = await chat.GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 4, Temperature = 0 });
        Assert.Equal(4, r.Usage!.OutputTokenCount);
        Assert.NotEmpty(log.Messages);
        var activity = Assert.Single(activities);
        Assert.Equal(4L, Convert.ToInt64(activity.GetTagItem("gen_ai.usage.output_tokens"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotNull(chat.GetService<ChatClientMetadata>());
        Assert.Same(_model.Scheduler, chat.GetService<Scheduler>());
    }

    [Fact]
    public async Task ConcurrentCallersShareForwardPasses()
    {
        IChatClient chat = new TernChatClient(_model);
        var options = new ChatOptions { MaxOutputTokens = 16, Temperature = 0 };
        var alone = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "story 0")], options);
        long before = _model.Scheduler.Steps;
        var replies = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => chat.GetResponseAsync([new ChatMessage(ChatRole.User, $"story {i}")], options)));
        long steps = _model.Scheduler.Steps - before;
        Assert.True(steps < 4 * 16, $"{steps} forward passes for 4 × 16 tokens"); // one after another would take ≥ 64
        Assert.Equal(alone.Text, replies[0].Text); // and batching changed nothing
    }

    [Fact]
    public async Task EmbeddingsAreUnitVectorsOfTheModelsWidth()
    {
        using IEmbeddingGenerator<string, Embedding<float>> gen = new TernEmbeddingGenerator(_model);
        var e = await gen.GenerateAsync(["Once upon a time", "Once upon a time", "a different text"]);
        Assert.Equal(3, e.Count);
        Assert.Equal(256, e[0].Vector.Length);
        double norm = Math.Sqrt(e[0].Vector.ToArray().Sum(v => (double)v * v));
        Assert.Equal(1.0, norm, 1e-5);
        Assert.Equal(e[0].Vector.ToArray(), e[1].Vector.ToArray());
        Assert.NotEqual(e[0].Vector.ToArray(), e[2].Vector.ToArray());
        Assert.True(e.Usage!.InputTokenCount > 0);
        await Assert.ThrowsAsync<NotSupportedException>(() => gen.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 3 }));
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        public List<string> Messages { get; } = new();
        public ILogger CreateLogger(string categoryName) => new ListLogger(this);
        public void Dispose() { }

        private sealed class ListLogger(ListLoggerProvider p) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (p.Messages) p.Messages.Add(formatter(state, exception));
            }
        }
    }
}
