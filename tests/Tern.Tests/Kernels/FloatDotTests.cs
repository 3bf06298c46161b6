using Tern.Kernels;

namespace Tern.Tests.Kernels;

public class FloatDotTests
{
    [Fact]
    public void EqualsTheScalarReferenceBitForBitOnEveryLength()
    {
        var rng = new Random(3);
        for (int n = 0; n <= 300; n++)
        {
            for (int trial = 0; trial < 3; trial++)
            {
                var a = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * MathF.Pow(10, rng.Next(-3, 4))).ToArray();
                var b = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
                Assert.Equal(BitConverter.SingleToInt32Bits(FloatDot.DotScalar(a, b)), BitConverter.SingleToInt32Bits(FloatDot.Dot(a, b)));
            }
        }
    }
}

public class FloatDot4Tests
{
    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(40)]
    public void EachOfTheFourEqualsDot(int n)
    {
        var rng = new Random(n);
        var q = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var k = Enumerable.Range(0, n * 9).Select(_ => (float)rng.NextDouble() * 3 - 1.5f).ToArray();
        var r = new float[4];
        FloatDot.Dot4(q, k, 0, n * 3, n * 8, n, r);
        int[] offsets = [0, n * 3, n * 8, n];
        for (int j = 0; j < 4; j++)
            Assert.Equal(BitConverter.SingleToInt32Bits(FloatDot.DotScalar(q, k.AsSpan(offsets[j], n))), BitConverter.SingleToInt32Bits(r[j]));
    }
}

public class FloatDotKeys16Tests
{
    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(256)]
    public void EachOfTheSixteenEqualsTheScalarReference(int n)
    {
        if (!FloatDot.KeyBlocksSupported(n)) return; // no AVX-512: attention uses Dot per key, tested above
        var rng = new Random(n);
        for (int rep = 0; rep < 20; rep++)
        {
            // Mixed magnitudes so that a different summation order would round differently.
            var q = Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4)))).ToArray();
            var k = Enumerable.Range(0, n * 16).Select(_ => (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4)))).ToArray();
            var r = new float[16];
            FloatDot.DotKeys16(q, k, r);
            for (int j = 0; j < 16; j++)
                Assert.True(BitConverter.SingleToInt32Bits(FloatDot.DotScalar(q, k.AsSpan(j * n, n))) == BitConverter.SingleToInt32Bits(r[j]),
                    $"key {j}: {r[j]:R} vs {FloatDot.DotScalar(q, k.AsSpan(j * n, n)):R}");
        }
    }
}

public class FloatDotTileTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(128)]
    public void EachOfTheSixteenProductsEqualsTheScalarReference(int n)
    {
        if (!FloatDot.KeyBlocksSupported(n)) return; // no AVX-512: attention uses Dot per key, tested above
        var rng = new Random(n);
        const int stride = 11, p = 5;
        for (int rep = 0; rep < 20; rep++)
        {
            var q = Enumerable.Range(0, 4 * n).Select(_ => (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4)))).ToArray();
            var k = Enumerable.Range(0, 4 * n).Select(_ => (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4)))).ToArray();
            var scores = Enumerable.Repeat(-7f, 3 * stride + p + 4 + 2).ToArray();
            FloatDot.DotQueries4Keys4(q, k, scores, stride, p);
            for (int j = 0; j < 4; j++)
                for (int i = 0; i < 4; i++)
                {
                    float expected = FloatDot.DotScalar(q.AsSpan(j * n, n), k.AsSpan(i * n, n));
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(scores[j * stride + p + i]), $"query {j} key {i}");
                }
            for (int x = 0; x < scores.Length; x++) // nothing else written
                if (x < p || (x - p) % stride >= 4 || x >= 3 * stride + p + 4) Assert.Equal(-7f, scores[x]);
        }
    }

    [Fact]
    public void ShortScoresAreRejected()
    {
        if (!FloatDot.KeyBlocksSupported(16)) return;
        Assert.Throws<ArgumentException>(() => FloatDot.DotQueries4Keys4(new float[64], new float[64], new float[3 * 8 + 3], 8, 0));
    }
}
