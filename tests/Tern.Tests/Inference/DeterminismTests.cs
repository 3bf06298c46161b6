using Tern.Inference;
using Tern.Models;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Inference;

/// <summary>Logits are bit-identical whether a prompt is fed in one batch or token by token, mixed with other sequences, and on any thread count.</summary>
public class DeterminismTests
{
    private static int[] Ids(string seq) => OracleFiles.ReadIds(OracleFiles.BitnetCpp($"{seq}.ids.txt"));

    [SharedTheory]
    [InlineData("tiny-i2_s.gguf")]
    [InlineData("tiny-f32.gguf")]
    public void BatchedEqualsOneByOneOnAnyThreadCount(string file)
    {
        using var model = Model.Load(OracleFiles.BitnetCpp(file));
        var ids = Ids("seqC");
        float[]? reference = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var ev = new Evaluator(model, threads);
            var batched = ev.Decode(new Sequence(model, 64), ids, allLogits: true);
            reference ??= batched;
            Assert.Equal(reference, batched);

            var seq = new Sequence(model, 64);
            var oneByOne = new List<float>();
            foreach (int id in ids) oneByOne.AddRange(ev.Decode(seq, [id]));
            Assert.Equal(reference, oneByOne.ToArray());
        }
    }

    /// <summary>
    /// Grouped-query attention with 4 query heads per KV head (as in 2B-4T: four queries per key load, 16-key blocks):
    /// a 45-token prompt (key blocks and remainders), alone and beside another sequence, on 1 and 2 threads, equals
    /// token-by-token.
    /// </summary>
    [Fact]
    public void GroupedQueryAttentionBatchedEqualsOneByOne()
    {
        using var dir = new TempDir();
        string path = dir.File("gqa4.gguf");
        Tern.Dummy.DummyModelWriter.Write(path, Tern.Dummy.DummyModelSpec.Preset("tiny") with { Heads = 8, KvHeads = 2, Layers = 2, VocabSize = 600, Seed = 5 });
        using var model = Model.Load(path);
        var rng = new Random(3);
        var ids = Enumerable.Range(0, 45).Select(_ => rng.Next(600)).ToArray();
        var other = Enumerable.Range(0, 7).Select(_ => rng.Next(600)).ToArray();
        int vocab = model.Config.VocabSize;
        float[]? reference = null;
        foreach (int threads in new[] { 1, 2 })
        {
            using var ev = new Evaluator(model, threads);
            var seq = new Sequence(model, 64);
            var oneByOne = new List<float>();
            foreach (int id in ids) oneByOne.AddRange(ev.Decode(seq, [id]));
            reference ??= oneByOne.ToArray();
            Assert.Equal(reference, oneByOne.ToArray());
            Assert.Equal(reference, ev.Decode(new Sequence(model, 64), ids, allLogits: true));

            // The same prompt in one forward pass beside another sequence's tokens (blocks must not cross caches).
            var ca = new KvCache(model.Config, 64);
            var cb = new KvCache(model.Config, 64);
            var batch = new List<BatchToken>();
            for (int i = 0; i < 3; i++) batch.Add(new BatchToken(other[i], i, cb, false));
            for (int i = 0; i < ids.Length; i++) batch.Add(new BatchToken(ids[i], i, ca, true));
            for (int i = 3; i < other.Length; i++) batch.Add(new BatchToken(other[i], i, cb, false));
            Assert.Equal(reference, ev.Forward(batch.ToArray()).ToArray());
        }
    }

    [SharedFact]
    public void SequencesInOneBatchDoNotInfluenceEachOther()
    {
        using var model = Model.Load(OracleFiles.BitnetCpp("tiny-i2_s.gguf"));
        using var ev = new Evaluator(model, 2);
        var a = Ids("seqA");
        var b = Ids("seqB");
        var aloneA = ev.Decode(new Sequence(model, 64), a, allLogits: true);
        var aloneB = ev.Decode(new Sequence(model, 64), b, allLogits: true);

        // Interleave both prompts in single forward passes: A's token i and B's token i side by side.
        var ca = new KvCache(model.Config, 64);
        var cb = new KvCache(model.Config, 64);
        int vocab = model.Config.VocabSize;
        for (int i = 0; i < b.Length; i++)
        {
            var batch = new List<BatchToken>();
            if (i < a.Length) batch.Add(new BatchToken(a[i], i, ca, true));
            batch.Add(new BatchToken(b[i], i, cb, true));
            var logits = ev.Forward(batch.ToArray()).ToArray();
            if (i < a.Length)
            {
                Assert.Equal(aloneA.AsSpan(i * vocab, vocab).ToArray(), logits[..vocab]);
                Assert.Equal(aloneB.AsSpan(i * vocab, vocab).ToArray(), logits[vocab..]);
            }
            else Assert.Equal(aloneB.AsSpan(i * vocab, vocab).ToArray(), logits);
        }
    }

    [SharedFact]
    public void PromptLongerThanTheContextIsAClearError()
    {
        using var model = Model.Load(OracleFiles.BitnetCpp("tiny-i2_s.gguf"));
        using var ev = new Evaluator(model, 1);
        var ex = Assert.Throws<ContextFullException>(() => ev.Decode(new Sequence(model, 8), Ids("seqB")));
        Assert.Contains("context", ex.Message);
    }
}
