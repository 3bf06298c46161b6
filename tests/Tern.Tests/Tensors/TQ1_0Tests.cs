using Tern.Gguf;
using Tern.Tensors;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Tensors;

public class TQ1_0Tests
{
    private static GgufFile OpenOracle() => GgufFile.Open(SharedData.PathOf("oracle", "llama-cpp", "bitnet-tiny-tq1_0-f16embd.gguf"));

    [SharedFact]
    public void EveryTQ1_0Tensor_DequantizesExactlyToTheF16FilesValues()
    {
        using var file = OpenOracle();
        var trits = new sbyte[256];
        foreach (var (t, expected) in TQ2_0Tests.OracleTensors(file, GgmlType.TQ1_0))
        {
            var bytes = file.GetTensorBytes(t);
            for (int b = 0; b < expected.Length / 256; b++)
            {
                TQ1_0.DecodeBlock(bytes.Slice(b * 54, 54), trits, out float d);
                for (int j = 0; j < 256; j++)
                {
                    float actual = trits[j] * d;
                    if (BitConverter.SingleToUInt32Bits(actual) != BitConverter.SingleToUInt32Bits(expected[256 * b + j]))
                        Assert.Fail($"{t.Name}[{256 * b + j}]: F16 file has {expected[256 * b + j]:R}, TQ1_0 gives {actual:R}");
                }
            }
        }
    }

    [SharedFact]
    public void RequantizingTheF16Values_ReproducesLlamaCppsBlocksByteForByte()
    {
        using var file = OpenOracle();
        foreach (var (t, values) in TQ2_0Tests.OracleTensors(file, GgmlType.TQ1_0))
        {
            var ours = new byte[t.ByteSize];
            int k = (int)t.Columns, rowBytes = k / 256 * 54;
            for (int r = 0; r < t.Rows; r++)
                TQ1_0.QuantizeRow(values.AsSpan(r * k, k), ours.AsSpan(r * rowBytes, rowBytes));
            var theirs = file.GetTensorBytes(t);
            int firstDifference = theirs.CommonPrefixLength(ours);
            Assert.True(firstDifference == ours.Length, $"{t.Name}: first differing byte at {firstDifference} of {ours.Length}");
        }
    }

    [Fact]
    public void EveryFiveTritPattern_PacksIntoOneByteAndUnpacksExactly()
    {
        var seen = new HashSet<byte>();
        var trits = new sbyte[5];
        for (int idx = 0; idx < 243; idx++)
        {
            for (int k = 0, v = idx; k < 5; k++, v /= 3) trits[4 - k] = (sbyte)(v % 3 - 1); // trit 0 most significant
            byte q = TQ1_0.EncodeByte(trits);
            Assert.Equal((idx * 256 + 242) / 243, q); // ⌈idx · 256 / 243⌉
            for (int k = 0; k < 5; k++) Assert.Equal(trits[k], TQ1_0.DecodeTrit(q, k));
            Assert.True(seen.Add(q), $"pattern {idx} packs to a byte already used");
        }
    }

    [Fact]
    public void EveryFourTritPattern_PacksPreMultipliedAndUnpacksExactly()
    {
        var trits = new sbyte[4];
        for (int idx = 0; idx < 81; idx++)
        {
            for (int k = 0, v = idx; k < 4; k++, v /= 3) trits[3 - k] = (sbyte)(v % 3 - 1);
            byte q = TQ1_0.EncodeByte(trits);
            Assert.Equal((idx * 3 * 256 + 242) / 243, q); // the 4-digit number is shifted up one digit before packing
            for (int k = 0; k < 4; k++) Assert.Equal(trits[k], TQ1_0.DecodeTrit(q, k));
            Assert.Equal(-1, TQ1_0.DecodeTrit(q, 4)); // the appended digit is code 0 (trit −1), never read
        }
    }

    [Fact]
    public void PackedBytes_HandChecked()
    {
        Assert.Equal(0, TQ1_0.EncodeByte([-1, -1, -1, -1, -1]));       // idx 0
        Assert.Equal(128, TQ1_0.EncodeByte([0, 0, 0, 0, 0]));          // idx 121: ⌈121·256/243⌉ = ⌈127.47⌉
        Assert.Equal(255, TQ1_0.EncodeByte([1, 1, 1, 1, 1]));          // idx 242: ⌈254.95⌉
        Assert.Equal(171, TQ1_0.EncodeByte([1, -1, -1, -1, -1]));      // idx 162: ⌈170.67⌉
        Assert.Equal(253, TQ1_0.EncodeByte([1, 1, 1, 1]));             // idx 80 · 3 = 240: ⌈252.84⌉
    }

    [Fact]
    public void Layout_HandChecked()
    {
        var trits = new sbyte[256];
        trits[0] = 1;            // qs[0], digit 0
        trits[32 * 4 + 7] = 1;   // qs[7], digit 4
        trits[160 + 16 * 2 + 3] = -1; // qs[35], digit 2
        trits[240 + 4 * 3 + 1] = 1;   // qh[1], digit 3
        var block = new byte[54];
        TQ1_0.EncodeBlock(trits, 0x3800, block); // F16 0.5
        Assert.Equal(TQ1_0.EncodeByte([1, 0, 0, 0, 0]), block[0]);
        Assert.Equal(TQ1_0.EncodeByte([0, 0, 0, 0, 1]), block[7]);
        Assert.Equal(TQ1_0.EncodeByte([0, 0, -1, 0, 0]), block[35]);
        Assert.Equal(TQ1_0.EncodeByte([0, 0, 0, 1]), block[49]);
        Assert.Equal(128, block[1]);
        Assert.Equal(TQ1_0.EncodeByte([0, 0, 0, 0]), block[48]);
        Assert.Equal(0x00, block[52]);
        Assert.Equal(0x38, block[53]);
        var back = new sbyte[256];
        TQ1_0.DecodeBlock(block, back, out float d);
        Assert.Equal(trits, back);
        Assert.Equal(0.5f, d);
    }

    [Fact]
    public void EncodeDecode_RoundTripsRandomTritsAndScales()
    {
        var rng = new Random(6);
        var block = new byte[54];
        var back = new sbyte[256];
        for (int k = 0; k < 200; k++)
        {
            var trits = I2STests.RandomTrits(rng, 256);
            ushort scale = (ushort)rng.Next(0x7C00);
            TQ1_0.EncodeBlock(trits, scale, block);
            TQ1_0.DecodeBlock(block, back, out float d);
            Assert.Equal(trits, back);
            Assert.Equal(HalfConversion.F16ToF32(scale), d);
        }
    }

    [Fact]
    public void QuantizeRow_AgreesWithTQ2_0OnTrits()
    {
        // Both llama.cpp quantizers share one rule; only the packing differs.
        var rng = new Random(8);
        var x = Enumerable.Range(0, 768).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var tq1 = new byte[3 * 54];
        var tq2 = new byte[3 * 66];
        TQ1_0.QuantizeRow(x, tq1);
        TQ2_0.QuantizeRow(x, tq2);
        var t1 = new sbyte[256];
        var t2 = new sbyte[256];
        for (int b = 0; b < 3; b++)
        {
            TQ1_0.DecodeBlock(tq1.AsSpan(b * 54, 54), t1, out float d1);
            TQ2_0.DecodeBlock(tq2.AsSpan(b * 66, 66), t2, out float d2);
            Assert.Equal(t2, t1);
            Assert.Equal(d2, d1);
            Assert.Contains((sbyte)-1, t1);
            Assert.Contains((sbyte)0, t1);
            Assert.Contains((sbyte)1, t1);
        }
    }

    [Fact]
    public void HostileLengths_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => TQ1_0.DecodeBlock(new byte[53], new sbyte[256], out _));
        Assert.Throws<ArgumentException>(() => TQ1_0.DecodeBlock(new byte[54], new sbyte[257], out _));
        Assert.Throws<ArgumentException>(() => TQ1_0.EncodeBlock(new sbyte[256], 0, new byte[55]));
        Assert.Throws<ArgumentException>(() => TQ1_0.EncodeByte(new sbyte[3]));
        Assert.Throws<ArgumentException>(() => TQ1_0.EncodeByte(new sbyte[6]));
        Assert.Throws<ArgumentException>(() => TQ1_0.EncodeByte([0, 0, 5, 0, 0]));
        Assert.Throws<ArgumentException>(() => TQ1_0.QuantizeRow(new float[255], new byte[54]));
        Assert.Throws<ArgumentException>(() => TQ1_0.QuantizeRow(new float[256], new byte[66]));
    }
}
