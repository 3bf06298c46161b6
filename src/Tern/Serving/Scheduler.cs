using System.Diagnostics;
using Tern.Inference;
using Tern.Models;
using Tern.Tokenizers;

namespace Tern.Serving;

/// <summary>
/// Continuous batching: N slots share one model, one evaluator and one worker pool, driven by one thread. Each
/// <see cref="Step"/> runs one forward pass holding the next token of every decoding request plus prompt chunks of
/// requests still reading their prompt, up to <see cref="SchedulerOptions.StepTokens"/> tokens; requests join
/// between steps (first come, first served) and leave the moment they finish, fail or are cancelled.
/// </summary>
/// <remarks>
/// A request's tokens do not depend on what runs beside it: the engine's logits are bit-identical across batching,
/// and each request has its own sampler and seed. KV memory is reserved per request from one <see cref="KvBudget"/>
/// (prompt plus the tokens it may generate, rounded to the cache's growth steps), so a running request can always
/// grow and a request that does not fit waits in the queue instead of running the machine out of memory.
/// </remarks>
public sealed class Scheduler : IDisposable
{
    private readonly object _lock = new();
    private readonly Queue<ActiveRequest> _queue = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<EmbeddingJob> _embeddings = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Slot[] _slots;
    private readonly List<Slot> _running = new(); // admission order: prompt chunks are handed out in this order
    private readonly Evaluator _evaluator;
    private readonly Thread _thread;
    private readonly BatchBuilder _batch;
    private long _nextId;
    private volatile bool _stopping;

    public Scheduler(Model model, Tokenizer tokenizer, SchedulerOptions options)
    {
        options.Validate();
        Model = model;
        Tokenizer = tokenizer;
        Options = options;
        ContextSize = options.ContextSize > 0 ? options.ContextSize : Math.Min(model.Config.ContextLength, 4096);
        Budget = new KvBudget(options.KvBudgetBytes > 0 ? options.KvBudgetBytes : KvBudget.DefaultLimit());
        _evaluator = new Evaluator(model, options.Threads) { MaxBatch = options.StepTokens };
        _slots = new Slot[options.Slots];
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new Slot(i, new Sequence(model, ContextSize, options.CacheType));
        _batch = new BatchBuilder(options.StepTokens);
        _thread = new Thread(Loop) { IsBackground = true, Name = "tern-scheduler" };
        _thread.Start();
    }

    public Model Model { get; }
    public Tokenizer Tokenizer { get; }
    public SchedulerOptions Options { get; }
    public int ContextSize { get; }
    public int Threads => _evaluator.Threads;
    /// <summary>KV bytes reserved by running requests and held by idle slots' caches.</summary>
    public KvBudget Budget { get; }

    /// <summary>Requests waiting for a slot.</summary>
    public int QueueLength { get { lock (_lock) return _queue.Count; } }
    /// <summary>Slots running a request.</summary>
    public int BusySlots { get { lock (_lock) return _slots.Count(s => !s.IsIdle); } }
    public int SlotCount => _slots.Length;
    /// <summary>KV bytes the slots' caches hold now.</summary>
    public long KvBytesInUse { get { lock (_lock) return _slots.Sum(s => s.Sequence.Cache.Bytes); } }
    /// <summary>Forward passes run so far.</summary>
    public long Steps => Interlocked.Read(ref _steps);
    private long _steps;

    /// <summary>
    /// Queues a request. Throws <see cref="ArgumentException"/> for a bad request, <see cref="ContextLengthExceededException"/>
    /// when it cannot fit the context, <see cref="KvCapacityException"/> when it can never fit the KV budget, and
    /// <see cref="QueueFullException"/> when the queue is full. Cancelling <paramref name="cancellationToken"/> ends
    /// the request within one step and frees its slot.
    /// </summary>
    public RequestHandle Submit(CompletionRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        Validate(request);
        lock (_lock)
        {
            int idle = _slots.Count(s => s.IsIdle);
            if (_queue.Count >= Options.MaxQueue + idle) throw new QueueFullException(Options.MaxQueue);
            var r = new ActiveRequest(++_nextId, request, cancellationToken);
            _queue.Enqueue(r);
            if (cancellationToken.CanBeCanceled) r.CancellationRegistration = cancellationToken.Register(Signal);
            Signal();
            return r.Handle;
        }
    }

    /// <summary>
    /// The embedding of <paramref name="tokens"/> (see <see cref="Evaluator.Embed"/>), computed on the scheduler's
    /// thread between two steps, so it shares the one evaluator with the running completions.
    /// </summary>
    public Task<float[]> EmbedAsync(int[] tokens, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (tokens is not { Length: > 0 }) throw new ArgumentException("nothing to embed: no tokens", nameof(tokens));
        int vocab = Model.Config.VocabSize;
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocab) throw new ArgumentException($"token id {t} is outside the vocabulary (0..{vocab - 1})", nameof(tokens));
        if (tokens.Length > ContextSize) throw new ContextLengthExceededException(tokens.Length, 0, ContextSize);
        if (_embeddings.Count >= Options.MaxQueue + 1) throw new QueueFullException(Options.MaxQueue);
        var job = new EmbeddingJob(tokens, cancellationToken);
        _embeddings.Enqueue(job);
        Signal();
        return job.Done.Task;
    }

    private sealed record EmbeddingJob(int[] Tokens, CancellationToken Cancellation)
    {
        public TaskCompletionSource<float[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private bool RunEmbeddings()
    {
        bool any = false;
        while (_embeddings.TryDequeue(out var job))
        {
            any = true;
            if (job.Cancellation.IsCancellationRequested || _stopping) { job.Done.TrySetCanceled(); continue; }
            try { job.Done.TrySetResult(_evaluator.Embed(job.Tokens, Options.CacheType)); }
            catch (Exception e) { job.Done.TrySetException(e); }
        }
        return any;
    }

    private void Validate(CompletionRequest request)
    {
        if (request.Prompt is not { Length: > 0 } prompt) throw new ArgumentException("the prompt has no tokens", nameof(request));
        int vocab = Model.Config.VocabSize;
        foreach (int t in prompt)
            if ((uint)t >= (uint)vocab) throw new ArgumentException($"token id {t} is outside the vocabulary (0..{vocab - 1})", nameof(request));
        if (request.MaxTokens < -1) throw new ArgumentException("max tokens must be -1 (no limit) or more", nameof(request));
        if (request.TopLogprobs is < -1 or > 20) throw new ArgumentException("top logprobs must be between 0 and 20", nameof(request));
        request.Sampler.Validate();
        if (prompt.Length >= ContextSize || (request.MaxTokens > 0 && prompt.Length + request.MaxTokens > ContextSize))
            throw new ContextLengthExceededException(prompt.Length, request.MaxTokens, ContextSize);
        long need = ReservationFor(request);
        if (need > Budget.Limit) throw new KvCapacityException(need, Budget.Limit);
    }

    /// <summary>KV bytes a request may come to hold: its prompt and every token it may generate.</summary>
    private long ReservationFor(CompletionRequest r)
    {
        var cache = _slots[0].Sequence.Cache;
        int positions = r.MaxTokens < 0 ? ContextSize : Math.Min(ContextSize, r.Prompt.Length + r.MaxTokens);
        return cache.BytesFor(cache.AllocationFor(positions));
    }

    private void Signal()
    {
        if (_wake.CurrentCount == 0) _wake.Release(); // one pending wake-up is enough
    }

    private void Loop()
    {
        OpProfile.Current = Options.Profile; // per thread: the forward passes run from here
        while (!_stopping)
        {
            bool worked;
            try { worked = Step(); }
            catch (Exception ex) when (!_stopping)
            {
                FailRunning(ex);
                worked = true;
            }
            if (!worked) _wake.Wait(); // nothing running and nothing admissible: sleep until a submission or a cancellation
        }
        FailAll(new ObjectDisposedException(nameof(Scheduler), "the scheduler was shut down"));
        RunEmbeddings(); // cancels what is left
    }

    /// <summary>Admits what fits, then runs one forward pass. Returns false when there was nothing to run.</summary>
    private bool Step()
    {
        bool embedded = RunEmbeddings();
        Admit();
        DropCancelled();
        if (_running.Count == 0) return embedded;

        _batch.Clear();
        _topK.Clear(); _exact.Clear();
        foreach (var slot in _running) // decoding requests first: one token each
            if (slot.Request!.Pending >= 0) AddWanted(slot, slot.Request.Pending);
        foreach (var slot in _running) // then prompt chunks, first come first served, within the step's budget
        {
            var r = slot.Request!;
            if (r.PromptLeft.IsEmpty || _batch.Room == 0) continue;
            int n = Math.Min(r.PromptLeft.Length, _batch.Room);
            var chunk = r.PromptLeft.Span[..n];
            for (int i = 0; i < n; i++)
                if (i == r.PromptLeft.Length - 1) AddWanted(slot, chunk[i]);
                else _batch.Add(slot, chunk[i], wantLogits: false);
        }

        var logits = Options.TopKOutput
            ? _evaluator.Forward(_batch.Tokens, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_topK), _exact)
            : _evaluator.Forward(_batch.Tokens);
        Interlocked.Increment(ref _steps);
        int vocab = Model.Config.VocabSize, row = 0;
        for (int i = 0; i < _batch.Count; i++)
        {
            var (slot, token, wants) = _batch.Entry(i);
            var r = slot.Request!;
            slot.Sequence.Append(token);
            if (r.Pending >= 0) r.Pending = -1;
            else r.PromptLeft = r.PromptLeft[1..];
            if (wants) Next(slot, logits.Slice(row++ * vocab, vocab));
        }
        return true;
    }

    private readonly List<int> _topK = new();
    private readonly List<IReadOnlyCollection<int>> _exact = new();

    /// <summary>
    /// Adds a token whose logits are wanted, with what the top-k output layer needs for its row: k (1 when greedy, the
    /// request's top-k; 0, every logit, without a top-k or with logprobs) and the tokens its penalties will change.
    /// </summary>
    private void AddWanted(Slot slot, int token)
    {
        _batch.Add(slot, token, wantLogits: true);
        if (!Options.TopKOutput) return;
        var r = slot.Request!;
        _topK.Add(r.Request.TopLogprobs >= 0 ? 0 : r.Request.Sampler.CandidateCount);
        _exact.Add(r.Sampler.PenalizedTokens);
    }

    /// <summary>Samples a request's next token from its logits and decides whether it goes on.</summary>
    private void Next(Slot slot, ReadOnlySpan<float> rowLogits)
    {
        var r = slot.Request!;
        if (r.Request.MaxTokens == 0) { Complete(slot, FinishReason.Length); return; } // read the prompt, generate nothing
        var logits = _batch.Scratch(rowLogits.Length);
        rowLogits.CopyTo(logits);
        int token = r.Sampler.Sample(logits).Id;
        if (r.Request.StopAtEndOfGeneration && Tokenizer.EndOfGenerationIds.Contains(token))
        {
            Complete(slot, FinishReason.Stop);
            return;
        }
        r.Sampler.Accept(token);
        TokenLogprob? lp = null;
        TokenLogprob[]? top = null;
        if (r.Request.TopLogprobs >= 0) (lp, top) = Logprobs.Of(logits, token, r.Request.TopLogprobs);
        bool hitStop = r.Emit(token, lp, top);
        if (hitStop) Complete(slot, FinishReason.Stop, flush: false);
        else if (r.Request.MaxTokens >= 0 && r.Generated >= r.Request.MaxTokens) Complete(slot, FinishReason.Length);
        else if (slot.Sequence.Length >= ContextSize) Complete(slot, FinishReason.Length);
        else r.Pending = token;
    }

    /// <summary>Moves queued requests into idle slots while slots and KV budget allow, in arrival order.</summary>
    private void Admit()
    {
        lock (_lock)
        {
            while (_queue.Count > 0)
            {
                var r = _queue.Peek();
                if (r.Cancellation.IsCancellationRequested || _stopping)
                {
                    _queue.Dequeue();
                    r.Finish(FinishReason.Cancelled, r.Request.Prompt.Length);
                    continue;
                }
                var slot = PickSlot(r.Request.Prompt);
                if (slot is null || !Reserve(slot, ReservationFor(r.Request))) return; // wait: first come, first served
                _queue.Dequeue();
                slot.Request = r;
                r.Start(slot.Sequence, Tokenizer);
                _running.Add(slot);
            }
        }
    }

    /// <summary>The idle slot whose cache shares the longest prefix with the prompt; else the least recently used.</summary>
    private Slot? PickSlot(int[] prompt)
    {
        Slot? best = null;
        int bestCommon = -1;
        foreach (var s in _slots)
        {
            if (!s.IsIdle) continue;
            int common = s.Sequence.CommonPrefix(prompt);
            if (common > bestCommon || (common == bestCommon && s.LastUsed < best!.LastUsed)) { best = s; bestCommon = common; }
        }
        return best;
    }

    /// <summary>Sets a slot's reservation to <paramref name="bytes"/> (at least what it holds), dropping idle caches if needed.</summary>
    private bool Reserve(Slot slot, long bytes)
    {
        bytes = Math.Max(bytes, slot.Sequence.Cache.Bytes);
        long delta = bytes - slot.ReservedBytes;
        if (delta <= 0)
        {
            Budget.Return(-delta);
            slot.ReservedBytes = bytes;
            return true;
        }
        while (!Budget.TryTake(delta))
        {
            var victim = _slots.Where(s => s.IsIdle && s != slot && s.ReservedBytes > 0).MinBy(s => s.LastUsed);
            if (victim is null) return false;
            Evict(victim);
        }
        slot.ReservedBytes = bytes;
        return true;
    }

    private void Evict(Slot slot)
    {
        slot.Sequence.Truncate(0);
        slot.Sequence.Cache.Release();
        Budget.Return(slot.ReservedBytes);
        slot.ReservedBytes = 0;
    }

    private void DropCancelled()
    {
        for (int i = _running.Count - 1; i >= 0; i--)
            if (_running[i].Request!.Cancellation.IsCancellationRequested || _stopping)
                Complete(_running[i], FinishReason.Cancelled);
    }

    /// <summary>Ends a slot's request and frees the slot; its cache stays for prefix reuse, its reservation shrinks to what it holds.</summary>
    private void Complete(Slot slot, FinishReason reason, Exception? error = null, bool flush = true)
    {
        var r = slot.Request!;
        lock (_lock)
        {
            slot.Request = null;
            slot.LastUsed = Stopwatch.GetTimestamp();
            _running.Remove(slot);
            Reserve(slot, slot.Sequence.Cache.Bytes);
        }
        r.Finish(reason, r.Request.Prompt.Length, error, flush);
        Signal(); // a freed slot may admit a waiting request
    }

    private void FailRunning(Exception ex)
    {
        foreach (var slot in _running.ToArray())
        {
            Complete(slot, FinishReason.Error, ex);
            lock (_lock) Evict(slot); // the failed pass may have written some of its cache: forget it all
        }
    }

    private void FailAll(Exception ex)
    {
        foreach (var slot in _running.ToArray()) Complete(slot, FinishReason.Cancelled, ex);
        lock (_lock)
            while (_queue.Count > 0) _queue.Dequeue().Finish(FinishReason.Cancelled, 0, ex);
    }

    /// <summary>Stops the scheduler thread; running and queued requests end as cancelled.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        Signal();
        _thread.Join();
        _evaluator.Dispose();
        foreach (var s in _slots) s.Sequence.Dispose();
    }
}
