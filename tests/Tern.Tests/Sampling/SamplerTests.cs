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
        Assert.Equal(2, s.Sample(new float[] { 1, 3, 5, 5, 2 }, []));
        Assert.Equal(0, Sampler.Argmax(new float[] { 7, 7 }));
    }

    [Fact]
    public void SameSeedSameTokens_DifferentSeedDiffers()
    {
        var o = new SamplerOptions { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = 42 };
        int[] Draw(SamplerOptions opt)
        {
            var s = new Sampler(opt);
            return Enumerable.Range(0, 50).Select(i => s.Sample(RandomLogits(1000, i), [])).ToArray();
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
            Assert.Equal(Sampler.Argmax(l), s.Sample(l, []));
        }
    }

    [Fact]
    public void TopKOnlyReturnsTheKBest()
    {
        var s = new Sampler(new SamplerOptions { Temperature = 100, TopK = 5, TopP = 1, MinP = 0, Seed = 3 });
        var l = RandomLogits(3000, 7);
        var best = l.Select((v, i) => (v, i)).OrderByDescending(x => x.v).Take(5).Select(x => x.i).ToHashSet();
        var seen = new HashSet<int>();
        for (int i = 0; i < 300; i++) seen.Add(s.Sample((float[])l.Clone(), []));
        Assert.Subset(best, seen);
        Assert.Equal(5, seen.Count); // a very high temperature reaches all five
    }

    [Fact]
    public void MinPAndTopPCutTheTail()
    {
        float[] l = [10, 9.9f, 0, -1, -2];
        var s = new Sampler(new SamplerOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0.5f, Seed = 5 });
        for (int i = 0; i < 100; i++) Assert.InRange(s.Sample((float[])l.Clone(), []), 0, 1);
        s = new Sampler(new SamplerOptions { Temperature = 1, TopK = 0, TopP = 0.5f, MinP = 0, Seed = 5 });
        for (int i = 0; i < 100; i++) Assert.Equal(0, s.Sample((float[])l.Clone(), []));
    }

    [Fact]
    public void RepeatPenaltyPushesSeenTokensDown()
    {
        var s = new Sampler(new SamplerOptions { Temperature = 0, RepeatPenalty = 2f });
        float[] l = [4, 3, -1];
        Assert.Equal(1, s.Sample(l, [0]));
        Assert.Equal(2f, l[0]);
        float[] neg = [-1, -1.5f];
        s.Sample(neg, [0]);
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
