using Tern.Dummy;
using Tern.Inference;
using Tern.Models;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Inference;

/// <summary>Appending, rolling back, forking and prefix reuse of a sequence, and its growing KV cache.</summary>
public sealed class SequenceTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Model _model;

    public SequenceTests()
    {
        string path = _dir.File("tiny.gguf");
        DummyModelWriter.Write(path, DummyModelSpec.Preset("tiny") with { Layers = 2, VocabSize = 300, Seed = 11 });
        _model = Model.Load(path);
    }

    public void Dispose()
    {
        _model.Dispose();
        _dir.Dispose();
    }

    private static int[] Ids(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => rng.Next(300)).ToArray();
    }

    [Fact]
    public void ForwardThenAppendEqualsDecode()
    {
        using var ev = new Evaluator(_model, 1);
        var ids = Ids(10, 1);
        var expected = ev.Decode(new Sequence(_model, 32), ids, allLogits: true);

        var seq = new Sequence(_model, 32);
        var batch = ids.Select((t, i) => new BatchToken(t, i, seq.Cache, true)).ToArray();
        var logits = ev.Forward(batch).ToArray();
        seq.Append(ids);
        Assert.Equal(expected, logits);
        Assert.Equal(ids, seq.Tokens);
    }

    [Fact]
    public void TruncateThenContinueEqualsAFreshRun()
    {
        using var ev = new Evaluator(_model, 1);
        var ids = Ids(12, 2);
        var seq = new Sequence(_model, 32);
        ev.Decode(seq, ids);
        seq.Truncate(5);
        var other = Ids(4, 3);
        var continued = ev.Decode(seq, other, allLogits: true);
        var fresh = ev.Decode(new Sequence(_model, 32), ids[..5].Concat(other).ToArray(), allLogits: true);
        Assert.Equal(fresh.AsSpan(5 * 300).ToArray(), continued);
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.Truncate(100));
    }

    [Fact]
    public void ForkCopiesTokensAndCacheIndependently()
    {
        using var ev = new Evaluator(_model, 1);
        var ids = Ids(9, 4);
        var seq = new Sequence(_model, 32);
        ev.Decode(seq, ids);
        using var fork = seq.Fork();
        Assert.Equal(seq.Tokens, fork.Tokens);
        var a = ev.Decode(fork, [7, 8], allLogits: true);
        seq.Truncate(3); // the fork keeps its own copy
        ev.Decode(seq, [1, 2, 3, 4, 5, 6]);
        var fresh = ev.Decode(new Sequence(_model, 32), ids.Concat([7, 8]).ToArray(), allLogits: true);
        Assert.Equal(fresh.AsSpan(9 * 300).ToArray(), a);
    }

    [Fact]
    public void ReusePrefixKeepsTheCommonTokensAndLeavesOneToEvaluate()
    {
        using var ev = new Evaluator(_model, 1);
        var seq = new Sequence(_model, 32);
        ev.Decode(seq, [5, 6, 7, 8]);
        Assert.Equal(new[] { 9, 10 }, seq.ReusePrefix([5, 6, 7, 9, 10]).ToArray());
        Assert.Equal(3, seq.Length);
        Assert.Equal(new[] { 7 }, seq.ReusePrefix([5, 6, 7]).ToArray()); // all cached: the last is evaluated again
        Assert.Equal(2, seq.Length);
        Assert.Equal(new[] { 1 }, seq.ReusePrefix([1]).ToArray());
        Assert.Equal(0, seq.Length);
    }

    [Fact]
    public void AppendPastTheContextIsRefused()
    {
        var seq = new Sequence(_model, 4);
        seq.Append([1, 2, 3]);
        Assert.Throws<ContextFullException>(() => seq.Append([4, 5]));
        seq.Append(4);
        Assert.Throws<ContextFullException>(() => seq.Append(5));
    }

    [Fact]
    public void CacheGrowsWithUseAndKeepsItsContents()
    {
        using var ev = new Evaluator(_model, 2);
        var ids = Ids(150, 5); // past two growth steps (64, 128, 256)
        var seq = new Sequence(_model, 300);
        Assert.Equal(0, seq.Cache.Bytes);
        var oneByOne = new List<float>();
        foreach (int id in ids) oneByOne.AddRange(ev.Decode(seq, [id]));
        Assert.Equal(256, seq.Cache.Allocated);
        Assert.Equal(seq.Cache.BytesFor(256), seq.Cache.Bytes);
        Assert.Equal(ev.Decode(new Sequence(_model, 300), ids, allLogits: true), oneByOne.ToArray());
    }

    [Fact]
    public void BudgetIsChargedAndRefusesGrowthPastItsLimit()
    {
        using var ev = new Evaluator(_model, 1);
        var probe = new KvCache(_model.Config, 64);
        var budget = new KvBudget(probe.BytesFor(64) * 2);
        var a = new Sequence(_model, 64, budget: budget);
        var b = new Sequence(_model, 64, budget: budget);
        var c = new Sequence(_model, 64, budget: budget);
        ev.Decode(a, [1, 2]);
        ev.Decode(b, [1, 2]);
        Assert.Equal(budget.Limit, budget.Used);
        Assert.Throws<KvBudgetExceededException>(() => ev.Decode(c, [1, 2]));
        Assert.Equal(0, c.Cache.Bytes);
        a.Dispose();
        Assert.Equal(budget.Limit / 2, budget.Used);
        ev.Decode(c, [1, 2]);
        b.Dispose();
        using var fork = c.Fork();
        Assert.Equal(c.Tokens, fork.Tokens);
        Assert.Throws<KvBudgetExceededException>(() => c.Fork()); // no room for a third copy
        Assert.Equal(budget.Limit, budget.Peak);
    }
}

/// <summary>The F16 cache stores real halves: half the bytes, the same logits as rounding float32 storage (batched, one by one, forked).</summary>
public sealed class F16CacheTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Model _model;

    public F16CacheTests()
    {
        string path = _dir.File("gqa.gguf");
        DummyModelWriter.Write(path, DummyModelSpec.Preset("tiny") with { Heads = 8, KvHeads = 2, Layers = 2, VocabSize = 300, Seed = 12 });
        _model = Model.Load(path);
    }

    public void Dispose()
    {
        _model.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void HalfTheBytesAndTheSameLogitsEveryWay()
    {
        var f16 = new KvCache(_model.Config, 100, KvCacheType.F16);
        var f32 = new KvCache(_model.Config, 100);
        Assert.Equal(f32.BytesFor(64) / 2, f16.BytesFor(64));

        var rng = new Random(8);
        var ids = Enumerable.Range(0, 70).Select(_ => rng.Next(300)).ToArray();
        using var ev = new Evaluator(_model, 2);
        var batched = ev.Decode(new Sequence(_model, 100, KvCacheType.F16), ids, allLogits: true);
        var seq = new Sequence(_model, 100, KvCacheType.F16);
        var oneByOne = new List<float>();
        foreach (int id in ids[..40]) oneByOne.AddRange(ev.Decode(seq, [id]));
        using var fork = seq.Fork();
        Assert.Equal(seq.Cache.Bytes, fork.Cache.Bytes);
        foreach (int id in ids[40..]) oneByOne.AddRange(ev.Decode(fork, [id]));
        Assert.Equal(batched, oneByOne.ToArray());
        Assert.NotEqual(batched, ev.Decode(new Sequence(_model, 100), ids, allLogits: true)); // F16 numerics differ from F32
    }
}
