using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tern.Gguf;
using Tern.Tensors;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Tensors;

public class I2STests
{
    internal static sbyte[] RandomTrits(Random rng, int n)
    {
        var t = new sbyte[n];
        for (int i = 0; i < n; i++) t[i] = (sbyte)(rng.Next(3) - 1);
        return t;
    }

    private static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);

    // ---- oracle: bitnet.cpp's tiny model, I2_S vs the same weights as F32 ----

    private static string OraclePath(string file) => SharedData.PathOf("oracle", "bitnet-cpp", file);

    /// <summary>
    /// Every I2_S tensor of tiny-i2_s.gguf decodes (trit × scale, float32) to the F32 file's values, bit for bit — except
    /// the sign of zero: Microsoft's converter writes round(W/s)·s, so a small negative master weight becomes −0.0 in the
    /// F32 file, and I2_S (one code for 0) cannot keep that sign. Both zeros are counted and must occur.
    /// </summary>
    [SharedFact]
    public void EveryI2STensor_DecodesToTheF32FilesValues_BitForBit_UpToTheSignOfZero()
    {
        using var i2s = GgufFile.Open(OraclePath("tiny-i2_s.gguf"));
        using var f32 = GgufFile.Open(OraclePath("tiny-f32.gguf"));
        int checkedTensors = 0;
        long negativeZeros = 0, positiveZeros = 0, nonZeros = 0;
        foreach (var t in i2s.Tensors.Where(t => t.Type == GgmlType.I2_S))
        {
            var reference = f32.GetTensor(t.Name);
            Assert.Equal(GgmlType.F32, reference.Type);
            Assert.Equal(reference.Dims, t.Dims);
            var expected = MemoryMarshal.Cast<byte, float>(f32.GetTensorBytes(reference));
            var bytes = i2s.GetTensorBytes(t);
            var trits = new sbyte[t.ElementCount];
            I2S.DecodeTrits(bytes, 0, trits);
            float scale = I2S.ReadScale(bytes, t.ElementCount);
            var actual = trits.Select(x => x * scale).ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                if (expected[i] == 0)
                {
                    if (Bits(actual[i]) != 0) Assert.Fail($"{t.Name}[{i}]: F32 file has zero, I2_S decodes to {actual[i]:R} (0x{Bits(actual[i]):X8})");
                    if (Bits(expected[i]) == 0) positiveZeros++; else negativeZeros++;
                }
                else if (Bits(expected[i]) != Bits(actual[i]))
                    Assert.Fail($"{t.Name}[{i}]: F32 file has {expected[i]:R} (0x{Bits(expected[i]):X8}), I2_S decodes to {actual[i]:R}");
                else nonZeros++;
            }
            checkedTensors++;
        }
        Assert.Equal(28, checkedTensors); // 4 layers × 7 projections
        Assert.True(nonZeros > 0 && positiveZeros > 0 && negativeZeros > 0, $"{nonZeros} non-zero, {positiveZeros} +0, {negativeZeros} −0");
    }

    [SharedFact]
    public void QuantizingTheF32Values_ReproducesBitnetCppsCodeBytesAndScale()
    {
        using var i2s = GgufFile.Open(OraclePath("tiny-i2_s.gguf"));
        using var f32 = GgufFile.Open(OraclePath("tiny-f32.gguf"));
        foreach (var t in i2s.Tensors.Where(t => t.Type == GgmlType.I2_S))
        {
            float[] weights = MemoryMarshal.Cast<byte, float>(f32.GetTensorBytes(f32.GetTensor(t.Name))).ToArray();
            var ours = new byte[I2S.ByteSize(weights.Length)];
            float scale = I2S.Quantize(weights, ours);

            var theirs = i2s.GetTensorBytes(t);
            int codeBytes = weights.Length / 4;
            Assert.True(theirs[..codeBytes].SequenceEqual(ours.AsSpan(0, codeBytes)), $"{t.Name}: code bytes differ");
            Assert.Equal(Bits(I2S.ReadScale(theirs, weights.Length)), Bits(scale));
            Assert.True(theirs[..(codeBytes + 4)].SequenceEqual(ours.AsSpan(0, codeBytes + 4)));

            // Encoding the decoded trits with the stored scale gives the same bytes again.
            var trits = new sbyte[weights.Length];
            I2S.DecodeTrits(theirs, 0, trits);
            var reencoded = new byte[ours.Length];
            I2S.Encode(trits, I2S.ReadScale(theirs, weights.Length), reencoded);
            Assert.Equal(ours, reencoded);
        }
    }

    [SharedFact]
    public void OracleTensors_UseAllThreeCodesAndNeverCode3()
    {
        // A guard on the layout assumption: code 3 is unused, and a random ternary tensor uses 0, 1 and 2.
        using var i2s = GgufFile.Open(OraclePath("tiny-i2_s.gguf"));
        var t = i2s.GetTensor("blk.0.attn_q.weight");
        var bytes = i2s.GetTensorBytes(t)[..(int)(t.ElementCount / 4)];
        var seen = new int[4];
        foreach (byte b in bytes)
            for (int s = 0; s < 8; s += 2) seen[(b >> s) & 3]++;
        Assert.Equal(0, seen[3]);
        Assert.All(seen[..3], n => Assert.True(n > 1000));
    }

    // ---- layout and round trips ----

    [Fact]
    public void Layout_HandChecked()
    {
        // Value j of a 128-value block: byte j mod 32, bit shift 6 − 2·⌊j/32⌋.
        var trits = new sbyte[256];
        trits[0] = 1;     // byte 0, bits 7–6 → code 2
        trits[33] = -1;   // byte 1, bits 5–4 → code 0
        trits[127] = 1;   // byte 31, bits 1–0 → code 2
        trits[128] = -1;  // second block: byte 32, bits 7–6 → code 0
        var dst = new byte[I2S.ByteSize(256)];
        I2S.Encode(trits, 0.25f, dst);
        Assert.Equal(0b10_01_01_01, dst[0]);
        Assert.Equal(0b01_00_01_01, dst[1]);
        Assert.Equal(0b01_01_01_10, dst[31]);
        Assert.Equal(0b00_01_01_01, dst[32]);
        Assert.Equal(0x55, dst[2]); // all-zero trits: code 1 everywhere
        Assert.Equal(0.25f, BinaryPrimitives.ReadSingleLittleEndian(dst.AsSpan(64)));
        Assert.All(dst[68..], b => Assert.Equal(0, b)); // 28 zero padding bytes
        Assert.Equal(96, dst.Length);
    }

    [Theory]
    [InlineData(128)]
    [InlineData(256)]
    [InlineData(384)]
    [InlineData(128 * 21)]
    [InlineData(2560 * 4)]
    public void EncodeDecode_RoundTripsRandomTrits(int n)
    {
        var rng = new Random(n);
        var trits = RandomTrits(rng, n);
        var bytes = new byte[I2S.ByteSize(n)];
        I2S.Encode(trits, 1.5f, bytes);
        Assert.Equal(1.5f, I2S.ReadScale(bytes, n));
        var back = new sbyte[n];
        I2S.DecodeTrits(bytes, 0, back);
        Assert.Equal(trits, back);

        // Any block-aligned window, including ones ending inside a block.
        for (int k = 0; k < 20; k++)
        {
            int first = rng.Next(n / 128) * 128;
            int len = rng.Next(n - first + 1);
            var part = new sbyte[len];
            I2S.DecodeTrits(bytes, first, part);
            Assert.Equal(trits.AsSpan(first, len).ToArray(), part);
        }
    }

    [Fact]
    public void DecodeTrits_AcceptsJustTheCodeBytesOfARow()
    {
        var rng = new Random(3);
        var trits = RandomTrits(rng, 512);
        var bytes = new byte[I2S.ByteSize(512)];
        I2S.Encode(trits, 1f, bytes);
        var row = new sbyte[256];
        I2S.DecodeTrits(bytes.AsSpan(64, 64), 0, row); // second row of a [256, 2] tensor
        Assert.Equal(trits[256..], row);
    }

    [Fact]
    public void HostileArguments_AreRejected()
    {
        var bytes = new byte[I2S.ByteSize(256)];
        Assert.Throws<ArgumentException>(() => I2S.ByteSize(100));
        Assert.Throws<ArgumentException>(() => I2S.ByteSize(0));
        Assert.Throws<ArgumentException>(() => I2S.ByteSize(-128));
        Assert.Throws<ArgumentException>(() => I2S.Encode(new sbyte[200], 1f, new byte[82]));
        Assert.Throws<ArgumentException>(() => I2S.Encode(new sbyte[256], 1f, new byte[95]));
        Assert.Throws<ArgumentException>(() => I2S.Encode(new sbyte[256], 1f, new byte[97]));
        var bad = new sbyte[256];
        bad[7] = 2;
        Assert.Throws<ArgumentException>(() => I2S.Encode(bad, 1f, bytes));
        Assert.Throws<ArgumentException>(() => I2S.DecodeTrits(bytes, 64, new sbyte[10]));          // not block-aligned
        Assert.Throws<ArgumentException>(() => I2S.DecodeTrits(bytes, -128, new sbyte[10]));
        Assert.Throws<ArgumentException>(() => I2S.DecodeTrits(bytes.AsSpan(0, 63), 0, new sbyte[256])); // too short
        Assert.Throws<ArgumentException>(() => I2S.DecodeTrits(bytes, long.MaxValue / 128 * 128, new sbyte[10]));
        Assert.Throws<ArgumentException>(() => I2S.ReadScale(bytes.AsSpan(0, 95), 256));
        Assert.Throws<ArgumentException>(() => I2S.DecodeBlock(bytes.AsSpan(0, 31), new sbyte[128]));
        Assert.Throws<ArgumentException>(() => I2S.Quantize(new float[256], new byte[90]));
    }

    [Fact]
    public void Quantize_FollowsBitnetCppsRule()
    {
        var w = new float[128];
        w[0] = 0.5f; w[1] = -0.5f; w[2] = 9e-7f; w[3] = -2e-6f; w[4] = 0.25f; // no rounding: any non-tiny value keeps its sign
        var bytes = new byte[I2S.ByteSize(128)];
        Assert.Equal(0.5f, I2S.Quantize(w, bytes));
        var t = new sbyte[128];
        I2S.DecodeTrits(bytes, 0, t);
        Assert.Equal(new sbyte[] { 1, -1, 0, -1, 1, 0 }, t[..6]);
    }
}
