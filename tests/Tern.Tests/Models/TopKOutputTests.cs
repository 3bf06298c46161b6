using Tern.Dummy;
using Tern.Inference;
using Tern.Models;
using Tern.Sampling;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Models;

/// <summary>The exact top-k output layer returns exactly the full product's top-k logits, so generation is unchanged.</summary>
public class TopKOutputTests
{
    private static string TinyModel(TempDir dir, int vocab = 4096)
    {
        string path = dir.File("m.gguf");
        DummyModelWriter.Write(path, DummyModelSpec.Preset("tiny") with { VocabSize = vocab, Layers = 2, Seed = 11 });
        return path;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(40)]
    public void TopKLogitsAreExactlyThoseOfTheFullProduct(int k)
    {
        using var dir = new TempDir();
        using var model = Model.Load(TinyModel(dir));
        using var ev = new Evaluator(model, 2);
        int[] prompt = [256, 10, 20, 30];
        var full = new Sequence(model, 64);
        var screened = new Sequence(model, 64);
        ev.Decode(full, prompt);
        ev.Decode(screened, prompt);
        var rng = new Random(k);
        for (int step = 0; step < 12; step++)
        {
            int token = rng.Next(model.Config.VocabSize);
            var a = ev.DecodeNext(full, token).ToArray();
            var b = ev.DecodeNextTopK(screened, token, k, [7, 8]).ToArray();
            var topK = a.Select((v, i) => (v, i)).OrderByDescending(p => p.v).ThenBy(p => p.i).Take(k).Select(p => p.i);
            foreach (int i in topK.Concat([7, 8])) Assert.Equal(a[i], b[i]);
            Assert.All(b, v => Assert.True(float.IsNegativeInfinity(v) || a.Contains(v)));
            Assert.True(ev.LastTopKCandidates < model.Config.VocabSize / 2, $"{ev.LastTopKCandidates} candidates");
        }
    }

    [Theory]
    [InlineData(0f, 40, 1.0f)]
    [InlineData(0.9f, 20, 1.0f)]
    [InlineData(1.2f, 8, 1.3f)]
    public void GenerationIsUnchanged(float temperature, int topK, float penalty)
    {
        using var dir = new TempDir();
        using var model = Model.Load(TinyModel(dir));
        using var ev = new Evaluator(model, 2);
        var tok = Tokenizer.FromGguf(model.File);
        var sampler = new SamplerOptions { Temperature = temperature, TopK = topK, RepeatPenalty = penalty, Seed = 99 };
        int[] Run(bool screened)
        {
            var gen = new Generator(ev, tok);
            var o = new GenerationOptions { MaxTokens = 24, Sampler = sampler, TopKOutput = screened, StopAtEndOfGeneration = false };
            return gen.Generate(new Sequence(model, 64), [256, 1, 2, 3], o).Select(s => s.Token).Where(t => t >= 0).ToArray();
        }
        Assert.Equal(Run(false), Run(true));
    }

    [Fact]
    public void EachRowOfABatchGetsWhatItGetsAlone()
    {
        using var dir = new TempDir();
        using var model = Model.Load(TinyModel(dir));
        using var ev = new Evaluator(model, 2);
        int vocab = model.Config.VocabSize;
        int[] ks = [1, 7, 40];
        IReadOnlyCollection<int>[] exact = [[], [3, 4000], [9]];
        var batchSeqs = ks.Select(_ => new Sequence(model, 64)).ToArray();
        var aloneSeqs = ks.Select(_ => new Sequence(model, 64)).ToArray();
        for (int i = 0; i < ks.Length; i++)
        {
            int[] prompt = [256, 10 + i, 20 + 3 * i];
            ev.Decode(batchSeqs[i], prompt);
            ev.Decode(aloneSeqs[i], prompt);
        }
        var rng = new Random(3);
        for (int step = 0; step < 6; step++)
        {
            var tokens = ks.Select(_ => rng.Next(vocab)).ToArray();
            var batch = tokens.Select((t, i) => new BatchToken(t, batchSeqs[i].Length, batchSeqs[i].Cache, true)).ToArray();
            var together = ev.Forward(batch, ks, exact).ToArray();
            for (int i = 0; i < ks.Length; i++) batchSeqs[i].Append(tokens[i]);
            for (int i = 0; i < ks.Length; i++)
            {
                var alone = ev.DecodeNextTopK(aloneSeqs[i], tokens[i], ks[i], exact[i]).ToArray();
                Assert.Equal(alone, together.AsSpan(i * vocab, vocab).ToArray());
            }
        }
    }
}
