using System.Threading.Channels;

namespace Tern.Serving;

/// <summary>A submitted completion: its tokens as they stream out, and its result when it ends.</summary>
public sealed class RequestHandle
{
    internal RequestHandle(long id, ChannelReader<CompletionChunk> chunks, Task<CompletionResult> completion)
    {
        Id = id;
        Chunks = chunks;
        Completion = completion;
    }

    /// <summary>Submission order, from 1.</summary>
    public long Id { get; }

    /// <summary>Every generated token in order; completes when the request ends (read it, or only await <see cref="Completion"/>).</summary>
    public ChannelReader<CompletionChunk> Chunks { get; }

    /// <summary>Completes when the request ends, however it ends (never faults: failures are <see cref="FinishReason.Error"/>).</summary>
    public Task<CompletionResult> Completion { get; }
}
