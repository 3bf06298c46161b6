using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Tern.Inference;
using Tern.Sampling;
using Tern.Tokenizers;

namespace Tern.Serving;

/// <summary>
/// A request from submission to its end: the prompt still to feed, the token to feed next, its own sampler, text
/// decoder and stop-string filter. Only the scheduler thread touches it after submission.
/// </summary>
internal sealed class ActiveRequest
{
    private readonly Channel<CompletionChunk> _chunks = Channel.CreateUnbounded<CompletionChunk>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    private readonly TaskCompletionSource<CompletionResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _text = new();
    private readonly List<int> _generated = new();
    private readonly long _submitted = Stopwatch.GetTimestamp();
    private long _admitted, _firstToken;
    private StreamingDecoder _decoder = null!;
    private StopStringFilter _stops = null!;

    public ActiveRequest(long id, CompletionRequest request, CancellationToken cancellation)
    {
        Id = id;
        Request = request;
        Cancellation = cancellation;
        Handle = new RequestHandle(id, _chunks.Reader, _done.Task);
    }

    public long Id { get; }
    public CompletionRequest Request { get; }
    public CancellationToken Cancellation { get; }
    public RequestHandle Handle { get; }
    public Sampler Sampler { get; private set; } = null!;
    public CancellationTokenRegistration CancellationRegistration { get; set; }

    /// <summary>Prompt tokens not yet fed (after the cached prefix); empty once the prompt is read.</summary>
    public ReadOnlyMemory<int> PromptLeft { get; set; }
    public int CachedPromptTokens { get; private set; }
    /// <summary>The sampled token to feed in the next step, or −1 while the prompt is still being read.</summary>
    public int Pending { get; set; } = -1;
    public int Generated => _generated.Count;

    /// <summary>Takes its slot: keeps the cached prefix, sets up sampling and decoding.</summary>
    public void Start(Sequence seq, Tokenizer tokenizer)
    {
        _admitted = Stopwatch.GetTimestamp();
        PromptLeft = seq.ReusePrefix(Request.Prompt).ToArray();
        CachedPromptTokens = Request.Prompt.Length - PromptLeft.Length;
        Sampler = new Sampler(Request.Sampler);
        Sampler.Accept(Request.Prompt.Skip(Math.Max(0, Request.Prompt.Length - Request.Sampler.RepeatLastN)));
        _decoder = new StreamingDecoder(tokenizer, stripLeadingSpace: Request.StripLeadingSpace && tokenizer.StripsLeadingSpace);
        _stops = new StopStringFilter(Request.StopStrings);
    }

    /// <summary>Records a generated token and streams its text; returns true when a stop string appeared.</summary>
    public bool Emit(int token, TokenLogprob? logprob, TokenLogprob[]? top)
    {
        if (_generated.Count == 0) _firstToken = Stopwatch.GetTimestamp();
        _generated.Add(token);
        var (text, hitStop) = _stops.Push(_decoder.Push(token));
        _text.Append(text);
        _chunks.Writer.TryWrite(new CompletionChunk(token, text, logprob, top));
        return hitStop;
    }

    /// <summary>Ends the request: flushes pending text (unless a stop string ended it), completes the stream and the result.</summary>
    public void Finish(FinishReason reason, int promptTokens, Exception? error = null, bool flush = true)
    {
        if (flush && _decoder is not null)
        {
            var (rest, _) = _stops.Push(_decoder.Flush(), final: true);
            if (rest.Length > 0)
            {
                _text.Append(rest);
                _chunks.Writer.TryWrite(new CompletionChunk(-1, rest));
            }
        }
        long now = Stopwatch.GetTimestamp();
        CancellationRegistration.Dispose();
        _chunks.Writer.TryComplete();
        _done.TrySetResult(new CompletionResult
        {
            FinishReason = reason,
            PromptTokens = promptTokens,
            CachedPromptTokens = CachedPromptTokens,
            CompletionTokens = _generated.Count,
            Text = _text.ToString(),
            Tokens = _generated.ToArray(),
            TimeToFirstToken = _firstToken > 0 ? Stopwatch.GetElapsedTime(_submitted, _firstToken) : TimeSpan.Zero,
            QueueTime = _admitted > 0 ? Stopwatch.GetElapsedTime(_submitted, _admitted) : Stopwatch.GetElapsedTime(_submitted, now),
            Duration = Stopwatch.GetElapsedTime(_submitted, now),
            Error = error,
        });
    }
}
