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
