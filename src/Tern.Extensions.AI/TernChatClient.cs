using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Tern.Chat;
using Tern.Serving;

namespace Tern.Extensions.AI;

/// <summary>
/// <see cref="IChatClient"/> over Tern's scheduler: the conversation is rendered with the model's chat template and
/// completed locally; concurrent calls share forward passes (continuous batching). Composes with
/// <see cref="ChatClientBuilder"/> middleware (logging, OpenTelemetry, caching).
/// </summary>
public sealed class TernChatClient : IChatClient
{
    private readonly TernModel _model;
    private readonly bool _owns;

    /// <summary>A client over a loaded model; with <paramref name="ownsModel"/>, disposing the client disposes the model.</summary>
    public TernChatClient(TernModel model, bool ownsModel = false)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _owns = ownsModel;
        Metadata = new ChatClientMetadata("tern", null, model.Id);
    }

    /// <summary>Loads a GGUF model for this client alone.</summary>
    public static TernChatClient Open(string modelPath, SchedulerOptions? options = null) => new(TernModel.Load(modelPath, options), ownsModel: true);

    public ChatClientMetadata Metadata { get; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var handle = Submit(messages, options, cancellationToken);
        var result = await handle.Completion.WaitAsync(cancellationToken);
        Check(result, cancellationToken);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Text))
        {
            ResponseId = NewId(),
            ModelId = _model.Id,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = Finish(result),
            Usage = Usage(result),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var handle = Submit(messages, options, cancellationToken);
        string id = NewId();
        var created = DateTimeOffset.UtcNow;
        ChatResponseUpdate Update(IList<AIContent> contents) => new(ChatRole.Assistant, contents) { ResponseId = id, MessageId = id, ModelId = _model.Id, CreatedAt = created };
        await foreach (var chunk in handle.Chunks.ReadAllAsync(cancellationToken))
            if (chunk.Text.Length > 0) yield return Update([new TextContent(chunk.Text)]);
        var result = await handle.Completion.WaitAsync(cancellationToken);
        Check(result, cancellationToken);
        var last = Update([new UsageContent(Usage(result))]);
        last.FinishReason = Finish(result);
        yield return last;
    }

    private RequestHandle Submit(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = messages.Select(Turn).ToList();
        if (turns.Count == 0) throw new ArgumentException("no messages given", nameof(messages));
        var request = ChatOptionsMapping.ToRequest(options, ChatPrompt.Encode(_model.Template, _model.Tokenizer, turns), _model.Template.StopStrings);
        return _model.Scheduler.Submit(request, ct);
    }

    private static ChatTurn Turn(ChatMessage m)
    {
        string role = m.Role == ChatRole.System ? "system"
            : m.Role == ChatRole.User ? "user"
            : m.Role == ChatRole.Assistant ? "assistant"
            : throw new NotSupportedException($"messages with the role '{m.Role}' are not supported (system, user, assistant)");
        foreach (var c in m.Contents)
            if (c is not (TextContent or UsageContent or TextReasoningContent))
                throw new NotSupportedException($"message content of type {c.GetType().Name} is not supported (text only)");
        return new ChatTurn(role, m.Text);
    }

    private static void Check(CompletionResult r, CancellationToken ct)
    {
        if (r.FinishReason == Serving.FinishReason.Cancelled)
        {
            ct.ThrowIfCancellationRequested();
            throw new OperationCanceledException("the scheduler was shut down", r.Error);
        }
        if (r.FinishReason == Serving.FinishReason.Error) throw new InvalidOperationException($"generation failed: {r.Error?.Message}", r.Error);
    }

    private static ChatFinishReason Finish(CompletionResult r) => r.FinishReason == Serving.FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails Usage(CompletionResult r) => new()
    {
        InputTokenCount = r.PromptTokens,
        OutputTokenCount = r.CompletionTokens,
        TotalTokenCount = r.PromptTokens + r.CompletionTokens,
        CachedInputTokenCount = r.CachedPromptTokens,
    };

    private static string NewId() => "tern-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(_model)) return _model;
        if (serviceType.IsInstanceOfType(_model.Scheduler)) return _model.Scheduler;
        return null;
    }

    public void Dispose()
    {
        if (_owns) _model.Dispose();
    }
}
