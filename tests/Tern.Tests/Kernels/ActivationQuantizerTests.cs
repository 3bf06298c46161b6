using Tern.Kernels;

namespace Tern.Tests.Kernels;

public class ActivationQuantizerTests
{
    [Fact]
    public void VectorPathEqualsScalarReferenceOnEveryLength()
    {
        var rng = new Random(5);
        for (int n = 0; n <= 300; n++)
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
            // Exact half-way points after scaling, to check ties round to even.
            if (n > 4) { x[0] = 4f; x[1] = 0.5f * 4f / 127f; x[2] = 1.5f * 4f / 127f; x[3] = -2.5f * 4f / 127f; }
            var a = new sbyte[n]; var b = new sbyte[n];
            Assert.Equal(ActivationQuantizer.QuantizeScalar(x, a), ActivationQuantizer.Quantize(x, b));
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void FollowsTheSpec()
    {
        float[] x = [1f, -1f, 0.5f, 0f];
        var q = new sbyte[4];
        float a = ActivationQuantizer.Quantize(x, q);
        Assert.Equal(127f, a);
        Assert.Equal(new sbyte[] { 127, -127, 64, 0 }, q); // 63.5 rounds to even: 64
        Assert.Equal(127f / 1e-5f, ActivationQuantizer.Quantize(new float[5], new sbyte[5]));
    }
}
