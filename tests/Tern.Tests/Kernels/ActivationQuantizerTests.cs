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

    /// <summary>Every vector body this machine runs, against the scalar rounding, on every length and special values.</summary>
    [Fact]
    public void EachVectorBodyEqualsTheScalarRounding()
    {
        var bodies = new List<(string Name, Func<float[], sbyte[], float, int> Run)>();
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) bodies.Add(("512", (x, q, a) => ActivationQuantizer.Body512(x, q, a)));
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported) bodies.Add(("256", (x, q, a) => ActivationQuantizer.Body256(x, q, a)));
        if (bodies.Count == 0) return; // no vector body on this machine: Quantize is the scalar loop
        var rng = new Random(11);
        float[] specials = [float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 1e30f, -1e30f, 127.5f, -128.5f, 126.5f, -127.5f, 0.5f, -0.5f, 1.5f, 2.5f];
        foreach (var (name, run) in bodies)
            for (int n = 0; n <= 80; n++)
            {
                var x = Enumerable.Range(0, n).Select(i => rng.Next(4) == 0 ? specials[rng.Next(specials.Length)] : (float)(rng.NextDouble() * 300 - 150)).ToArray();
                var q = new sbyte[n];
                int done = run(x, q, 1f); // a = 1: the specials reach the clamp and the ties as they are
                Assert.Equal(n - n % 16, done);
                for (int i = 0; i < done; i++)
                    Assert.True(ActivationQuantizer.QuantizeOne(x[i], 1f) == q[i], $"{name}: x = {x[i]} gave {q[i]}, scalar {ActivationQuantizer.QuantizeOne(x[i], 1f)}");
            }
    }

    [Fact]
    public void AbsMaxEqualsMaxMagnitude()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return; // the TensorPrimitives path is the only one
        var rng = new Random(12);
        for (int n = 16; n <= 70; n++)
            for (int trial = 0; trial < 4; trial++)
            {
                var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 10 - 5)).ToArray();
                if (trial == 1) x[rng.Next(n)] = float.NaN;
                if (trial == 2) x[rng.Next(n)] = float.NegativeInfinity;
                if (trial == 3) Array.Fill(x, -0f);
                float expected = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<float>(x));
                Assert.Equal(expected, ActivationQuantizer.AbsMax512(x));
            }
    }
}
