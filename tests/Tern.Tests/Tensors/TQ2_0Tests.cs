using System.Runtime.InteropServices;
using Tern.Gguf;
using Tern.Tensors;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Tensors;

public class TQ2_0Tests
{
    /// <summary>
    /// The ternary tensors of a llama.cpp oracle file, each with the same-named tensor's values from bitnet-tiny-f16.gguf
    /// (widened to float32) — the values llama-quantize started from.
    /// </summary>
    internal static IEnumerable<(GgufTensorInfo Tensor, float[] F16Values)> OracleTensors(GgufFile quantized, GgmlType type)
    {
        using var f16 = GgufFile.Open(SharedData.PathOf("oracle", "llama-cpp", "bitnet-tiny-f16.gguf"));
        var result = new List<(GgufTensorInfo, float[])>();
        foreach (var t in quantized.Tensors.Where(t => t.Type == type))
        {
            var reference = f16.GetTensor(t.Name);
            Assert.Equal(GgmlType.F16, reference.Type);
            Assert.Equal(reference.Dims, t.Dims);
            var values = new float[reference.ElementCount];
            HalfConversion.F16ToF32(MemoryMarshal.Cast<byte, ushort>(f16.GetTensorBytes(reference)), values);
            result.Add((t, values));
        }
        Assert.Equal(14, result.Count); // 2 layers × 7 projections
        return result;
    }

    private static GgufFile OpenOracle() => GgufFile.Open(SharedData.PathOf("oracle", "llama-cpp", "bitnet-tiny-tq2_0-f16embd.gguf"));

    [SharedFact]
    public void EveryTQ2_0Tensor_DequantizesExactlyToTheF16FilesValues()
    {
        using var file = OpenOracle();
        var trits = new sbyte[256];
        foreach (var (t, expected) in OracleTensors(file, GgmlType.TQ2_0))
        {
            var bytes = file.GetTensorBytes(t);
            for (int b = 0; b < expected.Length / 256; b++)
            {
                TQ2_0.DecodeBlock(bytes.Slice(b * 66, 66), trits, out float d);
                for (int j = 0; j < 256; j++)
                {
                    float actual = trits[j] * d;
                    if (BitConverter.SingleToUInt32Bits(actual) != BitConverter.SingleToUInt32Bits(expected[256 * b + j]))
                        Assert.Fail($"{t.Name}[{256 * b + j}]: F16 file has {expected[256 * b + j]:R}, TQ2_0 gives {actual:R}");
                }
            }
        }
    }

    [SharedFact]
    public void RequantizingTheF16Values_ReproducesLlamaCppsBlocksByteForByte()
    {
        using var file = OpenOracle();
        foreach (var (t, values) in OracleTensors(file, GgmlType.TQ2_0))
        {
            var ours = new byte[t.ByteSize];
            int k = (int)t.Columns, rowBytes = k / 256 * 66;
            for (int r = 0; r < t.Rows; r++)
                TQ2_0.QuantizeRow(values.AsSpan(r * k, k), ours.AsSpan(r * rowBytes, rowBytes));
            var theirs = file.GetTensorBytes(t);
            int firstDifference = theirs.CommonPrefixLength(ours);
            Assert.True(firstDifference == ours.Length, $"{t.Name}: first differing byte at {firstDifference} of {ours.Length}");
        }
    }

    [Fact]
    public void Layout_HandChecked()
    {
        // Value 4j + 32l + m is bits 2l..2l+1 of qs[j + m], j ∈ {0, 32}.
        var trits = new sbyte[256];
        trits[0] = 1;     // qs[0] bits 0–1 → code 2
        trits[32] = -1;   // qs[0] bits 2–3 → code 0
        trits[96 + 5] = 1; // qs[5] bits 6–7 → code 2
        trits[128] = -1;  // qs[32] bits 0–1 → code 0
        trits[255] = 1;   // qs[63] bits 6–7 → code 2
        var block = new byte[66];
        TQ2_0.EncodeBlock(trits, 0x3C00, block);
        Assert.Equal(0b01_01_00_10, block[0]);
        Assert.Equal(0b10_01_01_01, block[5]);
        Assert.Equal(0b01_01_01_00, block[32]);
        Assert.Equal(0b10_01_01_01, block[63]);
        Assert.Equal(0x55, block[1]);
        Assert.Equal(0x00, block[64]); // F16 1.0 = 0x3C00, little-endian
        Assert.Equal(0x3C, block[65]);
    }

    [Fact]
    public void EncodeDecode_RoundTripsRandomTritsAndScales()
    {
        var rng = new Random(5);
        var block = new byte[66];
        var back = new sbyte[256];
        for (int k = 0; k < 200; k++)
        {
            var trits = I2STests.RandomTrits(rng, 256);
            ushort scale = (ushort)rng.Next(0x7C00);
            TQ2_0.EncodeBlock(trits, scale, block);
            TQ2_0.DecodeBlock(block, back, out float d);
            Assert.Equal(trits, back);
            Assert.Equal(HalfConversion.F16ToF32(scale), d);
            Assert.Equal(scale, TQ2_0.ReadScaleBits(block));
        }
    }

    [Fact]
    public void QuantizeRow_FollowsLlamaCppsRule()
    {
        var x = new float[512];
        // Block 0: d = 0.75, values at ±d, ±d/2 (a tie: rounds away from zero) and below d/2.
        x[0] = 0.75f; x[1] = -0.75f; x[2] = 0.375f; x[3] = -0.375f; x[4] = 0.37f; x[5] = -0.2f;
        // Block 1 stays all zero: d = 0, every code 1.
        var bytes = new byte[132];
        TQ2_0.QuantizeRow(x, bytes);
        var trits = new sbyte[256];
        TQ2_0.DecodeBlock(bytes.AsSpan(0, 66), trits, out float d0);
        Assert.Equal(0.75f, d0);
        Assert.Equal(new sbyte[] { 1, -1, 1, -1, 0, 0, 0 }, trits[..7]);
        TQ2_0.DecodeBlock(bytes.AsSpan(66, 66), trits, out float d1);
        Assert.Equal(0f, d1);
        Assert.All(trits, t => Assert.Equal(0, t));
        Assert.All(bytes.AsSpan(66, 64).ToArray(), b => Assert.Equal(0x55, b));
    }

    [Fact]
    public void QuantizeRow_IsExactForTernaryTimesAnF16Scale()
    {
        var rng = new Random(9);
        float s = HalfConversion.F16ToF32(0x2E66); // ≈ 0.1, an F16 value
        var trits = I2STests.RandomTrits(rng, 1024);
        trits[0] = 1; trits[256] = -1; trits[512] = 1; trits[768] = 1; // every block reaches ±s
        var x = trits.Select(t => t * s).ToArray();
        var bytes = new byte[4 * 66];
        TQ2_0.QuantizeRow(x, bytes);
        var back = new sbyte[256];
        for (int b = 0; b < 4; b++)
        {
            TQ2_0.DecodeBlock(bytes.AsSpan(b * 66, 66), back, out float d);
            Assert.Equal(s, d);
            Assert.Equal(trits.AsSpan(b * 256, 256).ToArray(), back);
        }
    }

    [Fact]
    public void HostileLengths_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => TQ2_0.DecodeBlock(new byte[65], new sbyte[256], out _));
        Assert.Throws<ArgumentException>(() => TQ2_0.DecodeBlock(new byte[67], new sbyte[256], out _));
        Assert.Throws<ArgumentException>(() => TQ2_0.DecodeBlock(new byte[66], new sbyte[255], out _));
        Assert.Throws<ArgumentException>(() => TQ2_0.EncodeBlock(new sbyte[256], 0, new byte[64]));
        Assert.Throws<ArgumentException>(() => TQ2_0.EncodeBlock(new sbyte[128], 0, new byte[66]));
        var bad = new sbyte[256];
        bad[200] = -2;
        Assert.Throws<ArgumentException>(() => TQ2_0.EncodeBlock(bad, 0, new byte[66]));
        Assert.Throws<ArgumentException>(() => TQ2_0.QuantizeRow(new float[300], new byte[66]));
        Assert.Throws<ArgumentException>(() => TQ2_0.QuantizeRow(new float[256], new byte[65]));
        Assert.Throws<ArgumentException>(() => TQ2_0.QuantizeRow(new float[512], new byte[66]));
    }
}
