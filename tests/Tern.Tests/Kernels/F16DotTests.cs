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
    [MemberData(nameof(Lengths))]
    public unsafe void FourRowsAtOnceEqualOneRowAtATime(int n)
    {
        if (!F16Dot.FourRowsSupported(n)) return; // no AVX-512 or AVX2 (or a row shorter than one vector): single rows only
        var rng = new Random(1000 + n);
        int stride = n + 3; // rows need not be packed
        var rows = Enumerable.Range(0, 4 * stride).Select(_ => RandomHalf(rng, allowSpecial: false)).ToArray(); // subnormals and zeros included
        // Inputs up to just below the scaling limit, and tiny ones (x · 2^112 must stay exact).
        var x = Enumerable.Range(0, n).Select(i => (float)(rng.NextDouble() * 2 - 1) * (i % 5 == 0 ? 65535f : i % 7 == 0 ? 1e-30f : 1f)).ToArray();
        var four = new float[4];
        var xs = new float[n];
        Assert.True(F16Dot.ScaleForFourRows(x, xs));
        fixed (ushort* p = rows) F16Dot.DotFinite4(p, stride, xs, four);
        for (int i = 0; i < 4; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(F16Dot.DotFinite(rows.AsSpan(i * stride, n), x)), BitConverter.SingleToInt32Bits(four[i]));
        // The 256-bit form (what AVX2-only machines run) must give the same bits as the 512-bit one and the single rows.
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        var four256 = new float[4];
        fixed (ushort* p = rows) F16Dot.DotFinite4x256(p, stride, xs, four256);
        for (int i = 0; i < 4; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(F16Dot.DotFinite(rows.AsSpan(i * stride, n), x)), BitConverter.SingleToInt32Bits(four256[i]));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public unsafe void FourRowsByFourAndEightTokensEqualOneRowAndTokenAtATime(int n)
    {
        FourRowsByTokens(n, 4);
        FourRowsByTokens(n, 8);
    }

    private static unsafe void FourRowsByTokens(int n, int tokens)
    {
        if (!F16Dot.FourTokensSupported(n)) return; // AVX-512 only (or a row shorter than one vector)
        var rng = new Random(2000 + n + tokens);
        int stride = n + 5, xStride = n + 7; // neither rows nor tokens need be packed
        var rows = Enumerable.Range(0, 4 * stride).Select(_ => RandomHalf(rng, allowSpecial: false)).ToArray();
        var x = new float[tokens * xStride];
        var xs = new float[tokens * xStride];
        for (int t = 0; t < tokens; t++)
        {
            for (int i = 0; i < n; i++) x[t * xStride + i] = (float)(rng.NextDouble() * 2 - 1) * (i % 9 == t ? 65535f : i % 7 == 0 ? 1e-30f : 1f);
            Assert.True(F16Dot.ScaleForFourRows(x.AsSpan(t * xStride, n), xs.AsSpan(t * xStride, n)));
        }
        var sixteen = new float[4 * tokens];
        fixed (ushort* p = rows)
        fixed (float* px = xs)
            if (tokens == 4) F16Dot.DotFinite4x4(p, stride, px, xStride, n, sixteen);
            else F16Dot.DotFinite4x8(p, stride, px, xStride, n, sixteen);
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < 4; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits(F16Dot.DotFinite(rows.AsSpan(i * stride, n), x.AsSpan(t * xStride, n))), BitConverter.SingleToInt32Bits(sixteen[4 * t + i]));
    }

    [Fact]
    public void ScalingRefusesInputsThatWouldOverflow()
    {
        var xs = new float[3];
        Assert.False(F16Dot.ScaleForFourRows([1f, 65536f, 2f], xs));
        Assert.False(F16Dot.ScaleForFourRows([1f, float.NaN, 2f], xs));
        Assert.False(F16Dot.ScaleForFourRows([-70000f, 0f, 0f], xs));
        Assert.True(F16Dot.ScaleForFourRows([65535f, -65535f, 1e-40f], xs));
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
