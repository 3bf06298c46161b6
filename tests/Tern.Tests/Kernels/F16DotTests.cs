using Tern.Kernels;
using Tern.Tensors;

namespace Tern.Tests.Kernels;

public class F16DotTests
{
    public static IEnumerable<object[]> Lengths() => Enumerable.Range(1, 70).Concat([255, 256, 257, 2560, 6912]).Select(n => new object[] { n });

    private static ushort RandomHalf(Random rng, bool allowSpecial)
    {
        while (true)
        {
            ushort h = (ushort)rng.Next(65536);
            if (allowSpecial || (h & 0x7C00) != 0x7C00) return h;
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MatchesWidenThenCanonicalDotBitForBit(int n)
    {
        var rng = new Random(n);
        for (int trial = 0; trial < 4; trial++)
        {
            // Random bit patterns cover normals, subnormals and zeros of both signs.
            var row = Enumerable.Range(0, n).Select(_ => RandomHalf(rng, allowSpecial: false)).ToArray();
            if (trial == 1) for (int i = 0; i < n; i++) row[i] &= 0x83FF; // subnormals only
            var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 1e-3f).ToArray();
            var widened = new float[n];
            HalfConversion.F16ToF32(row, widened);
            float expected = FloatDot.DotScalar(widened, x);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(F16Dot.Dot(row, x)));
            Assert.True(F16Dot.AllFinite(row));
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(F16Dot.DotFinite(row, x)));
        }
    }

    [Theory]
    [InlineData((ushort)0x7C00)]
    [InlineData((ushort)0xFC00)]
    [InlineData((ushort)0x7E00)]
    public void InfinityAndNaNRowsTakeTheReferencePath(ushort special)
    {
        var row = Enumerable.Repeat((ushort)0x3C00, 48).ToArray();
        row[17] = special;
        var x = Enumerable.Repeat(1f, 48).ToArray();
        var widened = new float[48];
        HalfConversion.F16ToF32(row, widened);
        Assert.Equal(FloatDot.DotScalar(widened, x), F16Dot.Dot(row, x));
        Assert.False(F16Dot.AllFinite(row));
    }
}
