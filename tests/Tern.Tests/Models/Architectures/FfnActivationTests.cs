using Tern.Models.Architectures;

namespace Tern.Tests.Models.Architectures;

/// <summary>The gated FFN activation's vector loops against its definition, value by value, on every length.</summary>
public class FfnActivationTests
{
    [Fact]
    public void SquaredRelu_VectorLoopsEqualTheDefinition()
    {
        var rng = new Random(41);
        float[] specials = [-0f, 0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, -1e-40f, 3e19f];
        for (int n = 0; n <= 70; n++)
        {
            var gate = Enumerable.Range(0, n).Select(_ => rng.Next(5) == 0 ? specials[rng.Next(specials.Length)] : (float)(rng.NextDouble() * 8 - 4)).ToArray();
            var up = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
            var expected = gate.Select((g, i) => { float r = MathF.Max(g, 0f); return r * r * up[i]; }).ToArray();
            Ffn.ApplyCore(FfnActivation.SquaredRelu, gate, up);
            for (int i = 0; i < n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(gate[i]), $"n={n} i={i}: {gate[i]} vs {expected[i]}");
        }
    }
}
