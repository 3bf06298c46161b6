using Tern.Sampling;

namespace Tern.Tests.Sampling;

public class SamplerTests
{
    private static float[] RandomLogits(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 10 - 5)).ToArray();
    }

    [Fact]
    public void GreedyIsArgmaxWithLowestIdOnTies()
    {
        var s = new Sampler(SamplerOptions.Greedy);
        Assert.Equal(2, s.Sample(new float[] { 1, 3, 5, 5, 2 }).Id);
        Assert.Equal(0, Sampler.Argmax(new float[] { 7, 7 }));
    }

    [Fact]
    public void SameSeedSameTokens_DifferentSeedDiffers()
    {
        var o = new SamplerOptions { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = 42 };
        int[] Draw(SamplerOptions opt)
        {
            var s = new Sampler(opt);
            return Enumerable.Range(0, 50).Select(i => s.Sample(RandomLogits(1000, i)).Id).ToArray();
        }
        Assert.Equal(Draw(o), Draw(o));
        Assert.NotEqual(Draw(o), Draw(o with { Seed = 43 }));
    }

    [Fact]
    public void TopKOneIsGreedy()
    {
        var s = new Sampler(new SamplerOptions { Temperature = 2, TopK = 1, Seed = 1 });
        for (int i = 0; i < 20; i++)
        {
            var l = RandomLogits(5000, i);
            Assert.Equal(Sampler.Argmax(l), s.Sample(l).Id);
        }
    }

    [Fact]
    public void TopKOnlyReturnsTheKBest()
    {
        var s = new Sampler(new SamplerOptions { Temperature = 100, TopK = 5, TopP = 1, MinP = 0, Seed = 3 });
        var l = RandomLogits(3000, 7);
        var best = l.Select((v, i) => (v, i)).OrderByDescending(x => x.v).Take(5).Select(x => x.i).ToHashSet();
        var seen = new HashSet<int>();
        for (int i = 0; i < 300; i++) seen.Add(s.Sample((float[])l.Clone()).Id);
        Assert.Subset(best, seen);
        Assert.Equal(5, seen.Count); // a very high temperature reaches all five
    }

    [Fact]
    public void MinPAndTopPCutTheTail()
    {
        float[] l = [10, 9.9f, 0, -1, -2];
        var s = new Sampler(new SamplerOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0.5f, Seed = 5 });
        for (int i = 0; i < 100; i++) Assert.InRange(s.Sample((float[])l.Clone()).Id, 0, 1);
        s = new Sampler(new SamplerOptions { Temperature = 1, TopK = 0, TopP = 0.5f, MinP = 0, Seed = 5 });
        for (int i = 0; i < 100; i++) Assert.Equal(0, s.Sample((float[])l.Clone()).Id);
    }

    [Fact]
    public void RepeatPenaltyPushesSeenTokensDown()
    {
        var s = new Sampler(new SamplerOptions { Temperature = 0, RepeatPenalty = 2f });
        s.Accept(0);
        float[] l = [4, 3, -1];
        Assert.Equal(1, s.Sample(l).Id);
        Assert.Equal(2f, l[0]);
        float[] neg = [-1, -1.5f];
        s.Sample(neg);
        Assert.Equal(-2f, neg[0]);
    }

    [Theory]
    [InlineData(0f, 0, 0f)]
    [InlineData(1.5f, 0, 0f)]
    [InlineData(1f, -1, 0f)]
    [InlineData(1f, 0, 2f)]
    public void InvalidOptionsAreRejected(float topP, int topK, float minP) =>
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplerOptions { TopP = topP, TopK = topK, MinP = minP }));
}

public class SamplerStateTests
{
    [Fact]
    public void FrequencyAndPresencePenaltiesSubtractPerOccurrenceAndOnce()
    {
        var s = new Sampler(new SamplerOptions { Temperature = 0, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f, RepeatLastN = 8 });
        s.Accept([1, 1, 1, 2]);
        float[] l = [0, 3, 3, 3];
        s.Sample(l);
        Assert.Equal(new[] { 0f, 3 - 1.5f - 0.25f, 3 - 0.5f - 0.25f, 3f }, l);
    }

    [Fact]
    public void ThePenaltyWindowSlides()
    {
        var s = new Sampler(new SamplerOptions { Temperature = 0, RepeatPenalty = 2, RepeatLastN = 2 });
        s.Accept([0, 1, 2]); // 0 has left the window
        Assert.Equal(new[] { 1, 2 }, s.PenalizedTokens.Order());
        float[] l = [4, 4, 4];
        Assert.Equal(0, s.Sample(l).Id);
        s.ResetHistory();
        Assert.Empty(s.PenalizedTokens);
    }

    [Fact]
    public void ProbabilityIsThatOfTheFinalDistribution()
    {
        var greedy = new Sampler(SamplerOptions.Greedy);
        Assert.Equal(new SampledToken(1, 1f), greedy.Sample(new float[] { 0, 2, 1 }));
        var s = new Sampler(new SamplerOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 9 });
        float[] l = [0, MathF.Log(3)]; // probabilities 1/4, 3/4
        for (int i = 0; i < 20; i++)
        {
            var t = s.Sample((float[])l.Clone());
            Assert.Equal(t.Id == 0 ? 0.25f : 0.75f, t.Probability, 1e-6f);
        }
    }

    [Fact]
    public void NonFinitePenaltiesAreRejected() =>
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplerOptions { FrequencyPenalty = float.NaN }));
}
