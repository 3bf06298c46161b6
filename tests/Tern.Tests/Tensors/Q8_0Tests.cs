using Tern.Tensors;

namespace Tern.Tests.Tensors;

public class Q8_0Tests
{
    [Fact]
    public void DequantizeBlock_HandChecked()
    {
        var block = new byte[34];
        block[0] = 0x00; block[1] = 0x38; // d = F16 0.5
        block[2] = 1; block[3] = unchecked((byte)-2); block[4] = 127; block[5] = 0x80; // -128
        var y = new float[32];
        Q8_0.DequantizeBlock(block, y);
        Assert.Equal(new[] { 0.5f, -1f, 63.5f, -64f, 0f }, y[..5]);
    }

    [Fact]
    public void QuantizeRow_HandChecked()
    {
        // amax = 127 → d = 1, so q = round(x) with halves away from zero.
        var x = new float[32];
        x[0] = 127; x[1] = -127; x[2] = 0.5f; x[3] = -0.5f; x[4] = 2.5f; x[5] = 1.49f; x[6] = -3.7f;
        var block = new byte[34];
        Q8_0.QuantizeRow(x, block);
        Assert.Equal(0x3C00, BitConverter.ToUInt16(block, 0));
        Assert.Equal(new sbyte[] { 127, -127, 1, -1, 3, 1, -4, 0 }, block[2..10].Select(b => (sbyte)b).ToArray());
    }

    [Fact]
    public void QuantizeRow_AllZeroBlock_HasZeroScaleAndCodes()
    {
        var block = new byte[34];
        block.AsSpan().Fill(0xAA);
        Q8_0.QuantizeRow(new float[32], block);
        Assert.All(block, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(32, 1.0)]
    [InlineData(64, 1e-3)]   // d falls in F16's subnormal range: coarser scale, larger error, still within the bound
    [InlineData(4096, 1.0)]
    [InlineData(1024, 300.0)]
    public void QuantizeDequantize_ErrorIsWithinHalfAStepPlusScaleRounding(int n, double magnitude)
    {
        // With d = max|x| / 127 (float32) and d16 the stored F16 scale:
        // |x − q·d16| ≤ |x − q·d| + |q|·|d − d16| ≤ d/2 + 127·|d − d16|  (plus float rounding of x · (1/d)).
        var rng = new Random(n);
        var x = Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * magnitude)).ToArray();
        var bytes = new byte[n / 32 * 34];
        Q8_0.QuantizeRow(x, bytes);
        var y = new float[n];
        Q8_0.DequantizeRow(bytes, y);
        double sumSq = 0, sumErr = 0;
        for (int b = 0; b < n / 32; b++)
        {
            float d = x.AsSpan(b * 32, 32).ToArray().Max(MathF.Abs) / 127;
            float d16 = HalfConversion.F16ToF32(BitConverter.ToUInt16(bytes, b * 34));
            Assert.Equal(HalfConversion.F32ToF16(d), BitConverter.ToUInt16(bytes, b * 34));
            double bound = 0.5 * d * (1 + 1e-5) + 127 * Math.Abs((double)d - d16);
            for (int j = b * 32; j < b * 32 + 32; j++)
            {
                Assert.True(Math.Abs(x[j] - y[j]) <= bound, $"value {j}: {x[j]} → {y[j]}, d {d}, d16 {d16}");
                sumSq += (double)x[j] * x[j];
                sumErr += ((double)x[j] - y[j]) * (x[j] - y[j]);
            }
        }
        Assert.True(Math.Sqrt(sumErr / sumSq) < (magnitude < 0.01 ? 0.03 : 0.01), $"relative RMS error {Math.Sqrt(sumErr / sumSq)}");
    }

    [Fact]
    public void HostileLengths_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => Q8_0.DequantizeBlock(new byte[33], new float[32]));
        Assert.Throws<ArgumentException>(() => Q8_0.DequantizeBlock(new byte[34], new float[31]));
        Assert.Throws<ArgumentException>(() => Q8_0.DequantizeRow(new byte[68], new float[32]));
        Assert.Throws<ArgumentException>(() => Q8_0.DequantizeRow(new byte[34], new float[33]));
        Assert.Throws<ArgumentException>(() => Q8_0.QuantizeRow(new float[31], new byte[34]));
        Assert.Throws<ArgumentException>(() => Q8_0.QuantizeRow(new float[64], new byte[67]));
    }
}
