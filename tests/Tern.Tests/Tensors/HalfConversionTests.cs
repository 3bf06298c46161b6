using Tern.Tensors;

namespace Tern.Tests.Tensors;

public class HalfConversionTests
{
    private static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);
    private static uint ReferenceF16(ushort h) => Bits((float)BitConverter.UInt16BitsToHalf(h));

    [Fact]
    public void F16ToF32_MatchesHalfCast_ForAll65536Patterns()
    {
        for (int h = 0; h <= ushort.MaxValue; h++)
        {
            uint expected = ReferenceF16((ushort)h);
            uint actual = Bits(HalfConversion.F16ToF32((ushort)h));
            if (expected != actual)
                Assert.Fail($"F16 0x{h:X4}: expected float bits 0x{expected:X8}, got 0x{actual:X8}");
        }
    }

    [Fact]
    public void F16ToF32Span_MatchesHalfCast_ForAll65536Patterns()
    {
        var src = new ushort[65536];
        for (int h = 0; h < src.Length; h++) src[h] = (ushort)h;
        var dst = new float[65536];
        HalfConversion.F16ToF32(src, dst);
        for (int h = 0; h < src.Length; h++)
        {
            if (ReferenceF16((ushort)h) != Bits(dst[h]))
                Assert.Fail($"F16 0x{h:X4}: expected float bits 0x{ReferenceF16((ushort)h):X8}, got 0x{Bits(dst[h]):X8}");
        }
    }

    [Fact]
    public void F16ToF32Span_HandlesEveryLengthAndOffset()
    {
        // Lengths 0..70 at offsets 0..3 exercise the vector body and every scalar remainder.
        var rng = new Random(1);
        var all = new ushort[80];
        for (int i = 0; i < all.Length; i++) all[i] = (ushort)rng.Next(65536);
        for (int offset = 0; offset < 4; offset++)
        {
            for (int n = 0; n <= 70; n++)
            {
                var dst = new float[n + 1];
                dst[n] = 42f;
                HalfConversion.F16ToF32(all.AsSpan(offset, n), dst.AsSpan(0, n));
                for (int i = 0; i < n; i++) Assert.Equal(ReferenceF16(all[offset + i]), Bits(dst[i]));
                Assert.Equal(42f, dst[n]); // nothing written past the end
            }
        }
    }

    [Fact]
    public void F16ToF32_HandChecked()
    {
        Assert.Equal(1.0f, HalfConversion.F16ToF32(0x3C00));
        Assert.Equal(-2.0f, HalfConversion.F16ToF32(0xC000));
        Assert.Equal(65504f, HalfConversion.F16ToF32(0x7BFF));
        Assert.Equal(MathF.Pow(2, -24), HalfConversion.F16ToF32(0x0001)); // smallest subnormal
        Assert.Equal(MathF.Pow(2, -14), HalfConversion.F16ToF32(0x0400)); // smallest normal
        Assert.Equal(0x80000000u, Bits(HalfConversion.F16ToF32(0x8000))); // -0
        Assert.Equal(float.PositiveInfinity, HalfConversion.F16ToF32(0x7C00));
        Assert.Equal(float.NegativeInfinity, HalfConversion.F16ToF32(0xFC00));
        Assert.True(float.IsNaN(HalfConversion.F16ToF32(0x7E00)));
        Assert.True(float.IsNaN(HalfConversion.F16ToF32(0x7C01)));
    }

    [Fact]
    public void F16ToF32Span_RejectsMismatchedLengths()
    {
        Assert.Throws<ArgumentException>(() => HalfConversion.F16ToF32(new ushort[4], new float[3]));
    }

    /// <summary>Every F16 value's float, its float neighbours, and the float midpoints between consecutive F16 values (±1 ulp).</summary>
    private static IEnumerable<float> InterestingFloats()
    {
        for (int h = 0; h < 0x7C00; h++)
        {
            float v = HalfConversion.F16ToF32((ushort)h);
            float next = HalfConversion.F16ToF32((ushort)(h + 1)); // 0x7C00 is +Inf: the midpoint 65520 is the overflow threshold
            float mid = h + 1 == 0x7C00 ? 65520f : (float)(((double)v + next) / 2);
            foreach (float x in new[] { v, mid, MathF.BitDecrement(mid), MathF.BitIncrement(mid), MathF.BitDecrement(v), MathF.BitIncrement(v) })
            {
                yield return x;
                yield return -x;
            }
        }
        foreach (float x in new[] { float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN, float.MaxValue, float.Epsilon, 1e-30f, 7e4f, 1e10f })
            yield return x;
        yield return BitConverter.UInt32BitsToSingle(0x7F800001); // signalling NaN
        yield return BitConverter.UInt32BitsToSingle(0xFFC12345);
    }

    [Fact]
    public void F32ToF16_MatchesHalfCast_OnAllMidpointsAndNeighbours()
    {
        foreach (float f in InterestingFloats())
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)f);
            ushort actual = HalfConversion.F32ToF16(f);
            if (expected != actual) Assert.Fail($"float 0x{Bits(f):X8} ({f:R}): expected F16 0x{expected:X4}, got 0x{actual:X4}");
        }
    }

    [Fact]
    public void F32ToF16_MatchesHalfCast_OnRandomBitPatterns()
    {
        var rng = new Random(12345);
        for (int i = 0; i < 2_000_000; i++)
        {
            float f = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
            ushort expected = BitConverter.HalfToUInt16Bits((Half)f);
            ushort actual = HalfConversion.F32ToF16(f);
            if (expected != actual) Assert.Fail($"float 0x{Bits(f):X8} ({f:R}): expected F16 0x{expected:X4}, got 0x{actual:X4}");
        }
    }

    [Fact]
    public void F32ToF16_RoundTripsEveryF16Value()
    {
        for (int h = 0; h <= ushort.MaxValue; h++)
        {
            if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0) continue; // NaNs are quieted
            Assert.Equal((ushort)h, HalfConversion.F32ToF16(HalfConversion.F16ToF32((ushort)h)));
        }
    }

    [Fact]
    public void F32ToF16_HandChecked()
    {
        Assert.Equal(0x3C00, HalfConversion.F32ToF16(1.0f));
        Assert.Equal(0x3C00, HalfConversion.F32ToF16(1.0f + MathF.Pow(2, -11)));          // tie → even (down)
        Assert.Equal(0x3C02, HalfConversion.F32ToF16(1.0f + 3 * MathF.Pow(2, -11)));      // tie → even (up)
        Assert.Equal(0x7BFF, HalfConversion.F32ToF16(65519.996f));
        Assert.Equal(0x7C00, HalfConversion.F32ToF16(65520f));
        Assert.Equal(0x0000, HalfConversion.F32ToF16(MathF.Pow(2, -25)));                 // tie → even (zero)
        Assert.Equal(0x0001, HalfConversion.F32ToF16(MathF.BitIncrement(MathF.Pow(2, -25))));
        Assert.Equal(0x8000, HalfConversion.F32ToF16(-0.0f));
    }

    [Fact]
    public void BF16ToF32_IsTheUpperHalfOfAFloat()
    {
        for (int b = 0; b <= ushort.MaxValue; b++)
            Assert.Equal((uint)b << 16, Bits(HalfConversion.BF16ToF32((ushort)b)));
        Assert.Equal(1.0f, HalfConversion.BF16ToF32(0x3F80));
        Assert.Equal(-2.0f, HalfConversion.BF16ToF32(0xC000));
    }

    [Fact]
    public void F32ToBF16_RoundsToNearestEven_LikeGgml()
    {
        Assert.Equal(0x3F80, HalfConversion.F32ToBF16(1.0f));
        Assert.Equal(0x3F80, HalfConversion.F32ToBF16(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie, even stays
        Assert.Equal(0x3F82, HalfConversion.F32ToBF16(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie, odd rounds up
        Assert.Equal(0x3F81, HalfConversion.F32ToBF16(BitConverter.UInt32BitsToSingle(0x3F808001))); // above the tie
        Assert.Equal(0x7F80, HalfConversion.F32ToBF16(float.PositiveInfinity));
        Assert.Equal(0x7F80, HalfConversion.F32ToBF16(BitConverter.UInt32BitsToSingle(0x7F7FFFFF))); // rounds up to Inf
        Assert.Equal(0x0001, HalfConversion.F32ToBF16(BitConverter.UInt32BitsToSingle(0x00008001))); // subnormals are rounded, not flushed
        Assert.Equal(0x7FC1, HalfConversion.F32ToBF16(BitConverter.UInt32BitsToSingle(0x7F810000))); // signalling NaN → quiet
        Assert.Equal(0xFFC0, HalfConversion.F32ToBF16(BitConverter.UInt32BitsToSingle(0xFF800001))); // payload only in the low half
    }

    [Fact]
    public void F32ToBF16_AgreesWithExactRounding_OnRandomFiniteValues()
    {
        // An independent formulation: pick the nearer of the two BF16 neighbours, ties to the even one.
        var rng = new Random(7);
        for (int i = 0; i < 1_000_000; i++)
        {
            uint x = (uint)rng.NextInt64(0, 1L << 32);
            if ((x & 0x7F800000) == 0x7F800000) continue;
            float f = BitConverter.UInt32BitsToSingle(x);
            uint lo = x & 0xFFFF0000, hi = lo + 0x10000;
            // When hi is the Inf pattern, rounding treats it as the value 2^128 (one step past the largest finite).
            double hiValue = (hi & 0x7FFFFFFF) == 0x7F800000 ? Math.CopySign(Math.Pow(2, 128), f) : BitConverter.UInt32BitsToSingle(hi);
            double dl = Math.Abs((double)f - BitConverter.UInt32BitsToSingle(lo));
            double dh = Math.Abs((double)f - hiValue);
            uint expected = dl < dh || (dl == dh && ((lo >> 16) & 1) == 0) ? lo : hi;
            Assert.Equal((ushort)(expected >> 16), HalfConversion.F32ToBF16(f));
        }
    }
}
