using Tern.Tensors;

namespace Tern.Tests.Tensors;

public class Q6KTests
{
    /// <summary>
    /// Q6_K value v of a block, straight from the layout description (written independently of Q6K.DequantizeBlock):
    /// half h = v / 128; within it quarter q = (v mod 128) / 32 and lane l = v mod 32; the low nibble comes from
    /// ql[64h + l + 32·(q mod 2)] (low nibble for q &lt; 2, high for q ≥ 2), the high two bits from qh[32h + l] at shift 2q,
    /// and the scale is scales[8h + 2q + l/16].
    /// </summary>
    private static float ValueFromLayout(byte[] block, int v)
    {
        int h = v / 128, q = v % 128 / 32, l = v % 32;
        int low = (block[64 * h + l + 32 * (q % 2)] >> (4 * (q / 2))) & 0xF;
        int high = (block[128 + 32 * h + l] >> (2 * q)) & 3;
        int code = low | high << 4;
        sbyte scale = (sbyte)block[192 + 8 * h + 2 * q + l / 16];
        float d = HalfConversion.F16ToF32(BitConverter.ToUInt16(block, 208));
        return d * scale * (code - 32);
    }

    [Fact]
    public void DequantizeBlock_HandChecked()
    {
        var block = new byte[210];
        block[208] = 0x00; block[209] = 0x3C;         // d = 1
        block[192] = 2;                               // scale of values 0–15
        block[192 + 1] = unchecked((byte)-3);         // scale of values 16–31
        block[192 + 15] = 5;                          // scale of values 240–255
        block[0] = 0x0F; block[128] = 0b11;           // value 0: code 0x3F = 63 → 2 · 31 = 62
        block[17] = 0x00;                             // value 17: code 0 → −3 · −32 = 96
        // value 255: half 1, quarter 3, lane 31: high nibble of ql[64 + 32 + 31], bits 6–7 of qh[32 + 31]
        block[127] = 0x10; block[191] = 0b10_000000;  // code 1 | 2 << 4 = 33 → 5 · 1 = 5
        var y = new float[256];
        Q6K.DequantizeBlock(block, y);
        Assert.Equal(62f, y[0]);
        Assert.Equal(96f, y[17]);
        Assert.Equal(5f, y[255]);
        Assert.Equal(2f * -32, y[1]);                 // all-zero bytes mean code 0 = −32
        Assert.Equal(0f, y[64]);                      // scale 0
    }

    [Fact]
    public void DequantizeBlock_MatchesTheLayoutDescription_OnRandomBlocks()
    {
        var rng = new Random(2);
        var block = new byte[210];
        var y = new float[256];
        for (int k = 0; k < 50; k++)
        {
            rng.NextBytes(block);
            block[209] = (byte)rng.Next(0x78); // keep d finite
            Q6K.DequantizeBlock(block, y);
            for (int v = 0; v < 256; v++) Assert.Equal(ValueFromLayout(block, v), y[v]);
        }
    }

    [Fact]
    public void QuantizeRow_IsExactForIntegersOnTheGrid()
    {
        // Integers in [−32, 31] with −32 in every group of 16: every group gets scale 1, the super-block
        // d = −1/128 and sub-scales −128, so d · scale = 1 and every value comes back exactly.
        var rng = new Random(4);
        var x = new float[512];
        for (int i = 0; i < x.Length; i++) x[i] = i % 16 == 3 ? -32 : rng.Next(-32, 32);
        var bytes = new byte[2 * 210];
        Q6K.QuantizeRow(x, bytes);
        var y = new float[512];
        Q6K.DequantizeRow(bytes, y);
        Assert.Equal(x, y);
        Assert.Equal(HalfConversion.F32ToF16(-1f / 128), BitConverter.ToUInt16(bytes, 208));
        Assert.All(bytes[192..208], s => Assert.Equal(-128, (sbyte)s));
    }

    [Fact]
    public void QuantizeRow_AllZeroBlock_IsAllZeroBytes()
    {
        var bytes = new byte[210];
        bytes.AsSpan().Fill(0x33);
        Q6K.QuantizeRow(new float[256], bytes);
        Assert.All(bytes, b => Assert.Equal(0, b));
        var y = new float[256];
        Q6K.DequantizeRow(bytes, y);
        Assert.All(y, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void QuantizeRow_ZeroGroupsInsideABlock_StayZero()
    {
        var rng = new Random(11);
        var x = new float[256];
        for (int i = 0; i < 256; i++) x[i] = i / 16 % 3 == 0 ? 0 : (float)(rng.NextDouble() * 2 - 1);
        var bytes = new byte[210];
        Q6K.QuantizeRow(x, bytes);
        var y = new float[256];
        Q6K.DequantizeRow(bytes, y);
        for (int i = 0; i < 256; i++)
            if (i / 16 % 3 == 0) Assert.Equal(0f, y[i]);
    }

    public static TheoryData<string, int> Distributions => new()
    {
        { "uniform", 256 }, { "uniform", 4096 }, { "gaussian", 2560 }, { "cosine", 4096 }, { "outliers", 1024 },
    };

    /// <summary>
    /// Error bounds on random data, relative to each super-block's max|x| (a): the finest grid step is about a/32,
    /// so rounding to it leaves at most ≈ a/64 and an RMS of ≈ a/(32·√12) ≈ 0.009·a. Groups far smaller than the
    /// block maximum get coarser 8-bit sub-scales but also smaller values. Measured: max error 0.016–0.018·a,
    /// block RMS error ≤ 0.009·a. Bounds: max ≤ a/40, RMS ≤ 0.012·a.
    /// </summary>
    [Theory]
    [MemberData(nameof(Distributions))]
    public void QuantizeDequantize_ErrorIsBounded(string distribution, int n)
    {
        var rng = new Random(n);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = distribution switch
            {
                "uniform" => (float)(rng.NextDouble() * 2 - 1),
                "gaussian" => (float)(0.02 * Gaussian()),
                "cosine" => (float)(0.1 + 2 * Math.Cos(i + 0.3)), // llama.cpp's test-quantize-fns data
                _ => (float)(Gaussian() * (rng.Next(100) == 0 ? 20 : 1)),
            };
        }
        var bytes = new byte[n / 256 * 210];
        Q6K.QuantizeRow(x, bytes);
        var y = new float[n];
        Q6K.DequantizeRow(bytes, y);

        for (int b = 0; b < n / 256; b++)
        {
            float amax = x.AsSpan(b * 256, 256).ToArray().Max(MathF.Abs);
            double sumErr = 0;
            for (int i = b * 256; i < b * 256 + 256; i++)
            {
                double e = Math.Abs((double)x[i] - y[i]);
                Assert.True(e <= amax / 40, $"value {i}: {x[i]} → {y[i]} (block max |x| {amax})");
                sumErr += e * e;
            }
            double rms = Math.Sqrt(sumErr / 256);
            Assert.True(rms <= 0.012 * amax, $"block {b}: RMS error {rms}, max |x| {amax}");
        }
    }

    [Fact]
    public void QuantizeRow_BeatsPlainAbsmaxRounding()
    {
        // The least-squares scale search should do at least as well as the naive grid d = max|x| / 32.
        var rng = new Random(21);
        var x = Enumerable.Range(0, 2560).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var bytes = new byte[10 * 210];
        Q6K.QuantizeRow(x, bytes);
        var y = new float[x.Length];
        Q6K.DequantizeRow(bytes, y);
        double ours = 0, naive = 0;
        for (int g = 0; g < x.Length / 16; g++)
        {
            float step = x.AsSpan(g * 16, 16).ToArray().Max(MathF.Abs) / 31.5f;
            for (int i = g * 16; i < g * 16 + 16; i++)
            {
                ours += Math.Pow(x[i] - y[i], 2);
                naive += Math.Pow(x[i] - step * Math.Clamp(Math.Round(x[i] / step), -32, 31), 2);
            }
        }
        Assert.True(ours <= naive, $"squared error {ours} vs naive {naive}");
    }

    [Fact]
    public void HostileLengths_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => Q6K.DequantizeBlock(new byte[209], new float[256]));
        Assert.Throws<ArgumentException>(() => Q6K.DequantizeBlock(new byte[210], new float[255]));
        Assert.Throws<ArgumentException>(() => Q6K.DequantizeRow(new byte[420], new float[256]));
        Assert.Throws<ArgumentException>(() => Q6K.DequantizeRow(new byte[210], new float[300]));
        Assert.Throws<ArgumentException>(() => Q6K.QuantizeRow(new float[128], new byte[210]));
        Assert.Throws<ArgumentException>(() => Q6K.QuantizeRow(new float[256], new byte[211]));
    }
}
