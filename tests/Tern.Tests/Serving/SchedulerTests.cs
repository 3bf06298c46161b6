using Tern.Dummy;
using Tern.Inference;
using Tern.Models;
using Tern.Sampling;
using Tern.Serving;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Serving;

/// <summary>
/// The scheduler without HTTP: a request gives the same tokens alone, beside others (mixed prompts, lengths, seeds,
/// chunked prefill, one cancelled), and through the plain generation loop; prefix reuse; limits.
/// </summary>
public sealed class SchedulerTests : IClassFixture<SchedulerTests.TinyModel>
{
    /// <summary>The tiny preset (vocab 512, 4 layers) with a working tokenizer, shared by the tests of this class.</summary>
    public sealed class TinyModel : IDisposable
    {
        private readonly TempDir _dir = new();

        public TinyModel()
        {
            string path = _dir.File("tiny.gguf");
            DummyModelWriter.Write(path, DummyModelSpec.Preset("tiny") with { Seed = 21 });
            Model = Model.Load(path);
            Tokenizer = Tokenizer.FromGguf(Model.File);
        }

        public Model Model { get; }
        public Tokenizer Tokenizer { get; }

        public void Dispose()
        {
            Model.Dispose();
            _dir.Dispose();
        }
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TinyModel _tiny;

    public SchedulerTests(TinyModel tiny) => _tiny = tiny;

    private Scheduler NewScheduler(int slots, int stepTokens = 512, int ctx = 256, long kvBudget = 0, int maxQueue = 64) =>
        new(_tiny.Model, _tiny.Tokenizer, new SchedulerOptions { Slots = slots, StepTokens = stepTokens, ContextSize = ctx, KvBudgetBytes = kvBudget, MaxQueue = maxQueue, Threads = 2 });

    private static int[] Prompt(int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => rng.Next(3, 512)).ToArray();
    }

    private static CompletionRequest Request(int promptLength, int seed, int maxTokens, float temperature = 0.9f) => new()
    {
        Prompt = Prompt(promptLength, seed),
        MaxTokens = maxTokens,
        Sampler = new SamplerOptions { Temperature = temperature, TopK = 40, TopP = 0.95f, MinP = 0.05f, RepeatPenalty = 1.1f, Seed = (ulong)seed },
        StopAtEndOfGeneration = false,
    };

    private static async Task<CompletionResult> Finish(RequestHandle h)
    {
        var streamed = new List<int>();
        await foreach (var c in h.Chunks.ReadAllAsync()) if (c.Token >= 0) streamed.Add(c.Token);
        var result = await h.Completion.WaitAsync(Timeout);
        Assert.Equal(result.Tokens, streamed);
        return result;
    }

    [Fact]
    public async Task ARequestGivesTheSameTokensAloneBesideOthersAndThroughTheGenerator()
    {
        var mine = Request(37, seed: 1, maxTokens: 24);
        CompletionResult alone;
        using (var s = NewScheduler(slots: 1)) alone = await Finish(s.Submit(mine));
        Assert.Equal(24, alone.CompletionTokens);
        Assert.Equal(FinishReason.Length, alone.FinishReason);

        // The plain path: one evaluator, the generation loop.
        using (var ev = new Evaluator(_tiny.Model, 1))
        {
            var gen = new Generator(ev, _tiny.Tokenizer);
            var o = new GenerationOptions { MaxTokens = 24, Sampler = mine.Sampler, StopAtEndOfGeneration = false };
            var plain = gen.Generate(new Sequence(_tiny.Model, 256), mine.Prompt, o).Where(x => x.Token >= 0).Select(x => x.Token).ToArray();
            Assert.Equal(plain, alone.Tokens);
        }

        // Beside 7 others, with small steps so that prompts are read in chunks across steps while others decode;
        // one neighbour is cancelled mid-way.
        using var cts = new CancellationTokenSource();
        using var busy = NewScheduler(slots: 4, stepTokens: 16, ctx: 4096);
        var others = new List<RequestHandle>();
        for (int i = 0; i < 7; i++) // the one to cancel (i = 2) has no token limit: it runs until cancelled
            others.Add(busy.Submit(Request(5 + 13 * i, seed: 100 + i, maxTokens: i == 2 ? -1 : 8 + 5 * i, temperature: i % 3 == 0 ? 0 : 1.2f), i == 2 ? cts.Token : default));
        var handle = busy.Submit(mine);
        var cancelledOne = others[2];
        await foreach (var c in cancelledOne.Chunks.ReadAllAsync())
        {
            cts.Cancel();
            break;
        }
        var together = await Finish(handle);
        Assert.Equal(alone.Tokens, together.Tokens);
        Assert.Equal(alone.Text, together.Text);
        var results = await Task.WhenAll(others.Select(h => h.Completion.WaitAsync(Timeout)));
        Assert.Equal(FinishReason.Cancelled, results[2].FinishReason);
        Assert.True(results[2].CompletionTokens < 4096 - 31, $"{results[2].CompletionTokens} tokens");
        for (int i = 0; i < 7; i++)
            if (i != 2) Assert.Equal(8 + 5 * i, results[i].CompletionTokens);
        Assert.Equal(0, busy.BusySlots);
        Assert.Equal(0, busy.QueueLength);
    }

    [Fact]
    public async Task ASecondTurnComputesOnlyItsNewTokens()
    {
        using var s = NewScheduler(slots: 2);
        var first = Request(40, seed: 3, maxTokens: 6, temperature: 0);
        var r1 = await Finish(s.Submit(first));
        Assert.Equal(0, r1.CachedPromptTokens);
        // The conversation goes on: its history (prompt + reply) and a new message.
        int[] second = [.. first.Prompt, .. r1.Tokens, 7, 8, 9];
        var r2 = await Finish(s.Submit(first with { Prompt = second }));
        // The last reply token was sampled but never fed, so the cache holds the prompt and all but the last reply token.
        Assert.Equal(first.Prompt.Length + r1.Tokens.Count - 1, r2.CachedPromptTokens);

        using var fresh = NewScheduler(slots: 1);
        var r3 = await Finish(fresh.Submit(first with { Prompt = second }));
        Assert.Equal(r3.Tokens, r2.Tokens);
    }

    [Fact]
    public async Task ARequestThatDoesNotFitTheBudgetWaitsForASlotsMemory()
    {
        var probe = new KvCache(_tiny.Model.Config, 256);
        long oneRequest = probe.BytesFor(probe.AllocationFor(64));
        using var s = NewScheduler(slots: 2, kvBudget: oneRequest);
        var a = s.Submit(Request(20, seed: 5, maxTokens: 30));
        var b = s.Submit(Request(20, seed: 6, maxTokens: 30));
        var ra = await Finish(a);
        var rb = await Finish(b);
        Assert.Equal(30, ra.CompletionTokens);
        Assert.Equal(30, rb.CompletionTokens);
        Assert.True(s.Budget.Peak <= oneRequest);
        Assert.Throws<KvCapacityException>(() => s.Submit(Request(20, seed: 7, maxTokens: 100)));
    }

    [Fact]
    public void BadRequestsAreRefusedAtSubmission()
    {
        using var s = NewScheduler(slots: 1, ctx: 64, maxQueue: 0);
        Assert.Throws<ContextLengthExceededException>(() => s.Submit(Request(64, 1, 1)));
        Assert.Throws<ContextLengthExceededException>(() => s.Submit(Request(40, 1, 30)));
        Assert.Throws<ArgumentException>(() => s.Submit(new CompletionRequest { Prompt = [] }));
        Assert.Throws<ArgumentException>(() => s.Submit(new CompletionRequest { Prompt = [512] }));
        Assert.Throws<ArgumentException>(() => s.Submit(new CompletionRequest { Prompt = [1], Sampler = new SamplerOptions { TopP = 0 } }));
    }

    [Fact]
    public async Task AFullQueueRefusesAndCancelledRequestsLeaveIt()
    {
        using var s = NewScheduler(slots: 1, maxQueue: 1);
        using var cts = new CancellationTokenSource();
        var running = s.Submit(Request(10, 1, 200), cts.Token);
        await running.Chunks.ReadAsync(); // it holds the only slot
        var waiting = s.Submit(Request(10, 2, 5));
        Assert.Throws<QueueFullException>(() => s.Submit(Request(10, 3, 5)));
        cts.Cancel();
        var r = await running.Completion.WaitAsync(Timeout);
        Assert.Equal(FinishReason.Cancelled, r.FinishReason);
        Assert.Equal(5, (await Finish(waiting)).CompletionTokens);
    }

    [Fact]
    public async Task LogprobsAreALogSoftmaxOfTheRow()
    {
        using var s = NewScheduler(slots: 1);
        var req = Request(12, seed: 8, maxTokens: 3, temperature: 0) with { TopLogprobs = 3 };
        var h = s.Submit(req);
        var chunks = new List<CompletionChunk>();
        await foreach (var c in h.Chunks.ReadAllAsync()) if (c.Token >= 0) chunks.Add(c);
        Assert.Equal(3, chunks.Count);
        foreach (var c in chunks)
        {
            Assert.NotNull(c.Logprob);
            Assert.Equal(3, c.TopLogprobs!.Length);
            Assert.Equal(c.Token, c.TopLogprobs[0].Token); // greedy picks the most likely
            Assert.Equal(c.Logprob!.Value.Logprob, c.TopLogprobs[0].Logprob);
            Assert.True(c.TopLogprobs[0].Logprob >= c.TopLogprobs[1].Logprob && c.TopLogprobs[1].Logprob >= c.TopLogprobs[2].Logprob);
            Assert.InRange(c.Logprob.Value.Logprob, -20f, 0f);
        }
    }

    [Fact]
    public async Task DisposingEndsRunningAndQueuedRequests()
    {
        var s = NewScheduler(slots: 1);
        var a = s.Submit(Request(10, 1, -1));
        var b = s.Submit(Request(10, 2, 5));
        await a.Chunks.ReadAsync();
        s.Dispose();
        Assert.Equal(FinishReason.Cancelled, (await a.Completion.WaitAsync(Timeout)).FinishReason);
        Assert.Equal(FinishReason.Cancelled, (await b.Completion.WaitAsync(Timeout)).FinishReason);
        Assert.Throws<ObjectDisposedException>(() => s.Submit(Request(10, 3, 5)));
    }

    [Fact]
    public async Task TheExactTopKOutputLayerGivesTheSameTokensForEveryKindOfRequest()
    {
        // Greedy, top-k sampling with penalties, no top-k (every logit needed), and logprobs (ditto), side by side.
        CompletionRequest[] requests =
        [
            Request(21, seed: 5, maxTokens: 16, temperature: 0),
            Request(9, seed: 6, maxTokens: 16),
            Request(30, seed: 7, maxTokens: 16) with { Sampler = new SamplerOptions { Temperature = 1.1f, TopK = 0, RepeatPenalty = 1.2f, Seed = 7 } },
            Request(12, seed: 8, maxTokens: 16) with { TopLogprobs = 3 },
        ];
        async Task<CompletionResult[]> Run(bool topK)
        {
            using var s = new Scheduler(_tiny.Model, _tiny.Tokenizer, new SchedulerOptions { Slots = 4, ContextSize = 256, Threads = 2, TopKOutput = topK });
            var handles = requests.Select(r => s.Submit(r)).ToArray();
            return await Task.WhenAll(handles.Select(Finish));
        }
        var full = await Run(false);
        var screened = await Run(true);
        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(full[i].Tokens, screened[i].Tokens);
            Assert.Equal(16, screened[i].CompletionTokens);
        }
    }
}
