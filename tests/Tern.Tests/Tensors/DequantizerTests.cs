using System.Runtime.InteropServices;
using Tern.Gguf;
using Tern.Tensors;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Tensors;

public class DequantizerTests
{
    private static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);
    private static byte[] AsBytes<T>(T[] values) where T : struct => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    // ---- oracle files ----

    [SharedFact]
    public void I2STensors_DequantizeToTheF32FilesValues()
    {
        using var i2s = GgufFile.Open(SharedData.PathOf("oracle", "bitnet-cpp", "tiny-i2_s.gguf"));
        using var f32 = GgufFile.Open(SharedData.PathOf("oracle", "bitnet-cpp", "tiny-f32.gguf"));
        foreach (var t in i2s.Tensors.Where(t => t.Type == GgmlType.I2_S))
        {
            float[] expected = Dequantizer.DequantizeTensor(f32, f32.GetTensor(t.Name));
            float[] actual = Dequantizer.DequantizeTensor(i2s, t);
            Assert.Equal(expected, actual); // float equality: −0.0 in the F32 file equals I2_S's +0.0 (see I2STests)
        }
    }

    [SharedTheory]
    [InlineData("bitnet-tiny-tq2_0-f16embd.gguf")]
    [InlineData("bitnet-tiny-tq1_0-f16embd.gguf")]
    public void TQTensors_DequantizeToTheF16FilesValues_BitForBit(string file)
    {
        using var quantized = GgufFile.Open(SharedData.PathOf("oracle", "llama-cpp", file));
        using var f16 = GgufFile.Open(SharedData.PathOf("oracle", "llama-cpp", "bitnet-tiny-f16.gguf"));
        int count = 0;
        foreach (var t in quantized.Tensors)
        {
            var reference = f16.GetTensor(t.Name);
            float[] expected = Dequantizer.DequantizeTensor(f16, reference);
            float[] actual = Dequantizer.DequantizeTensor(quantized, t);
            Assert.Equal(expected.Select(Bits), actual.Select(Bits)); // every tensor: ternary, F16 embedding, F32 norms
            count++;
        }
        Assert.Equal(f16.Tensors.Count, count);
    }

    [SharedTheory]
    [InlineData("bitnet-cpp", "tiny-i2_s.gguf")]
    [InlineData("llama-cpp", "bitnet-tiny-tq2_0-f16embd.gguf")]
    [InlineData("llama-cpp", "bitnet-tiny-tq1_0-f16embd.gguf")]
    public void DequantizeRows_EqualsTheMatchingSliceOfTheWholeTensor(string folder, string file)
    {
        using var f = GgufFile.Open(SharedData.PathOf("oracle", folder, file));
        var rng = new Random(file.Length);
        foreach (var t in f.Tensors)
        {
            float[] whole = Dequantizer.DequantizeTensor(f, t);
            int k = (int)t.Columns;
            for (int trial = 0; trial < 3; trial++)
            {
                long first = rng.NextInt64(t.Rows);
                int count = (int)rng.NextInt64(t.Rows - first + 1);
                var part = new float[count * k];
                Dequantizer.DequantizeRows(f, t, first, count, part);
                Assert.Equal(whole.AsSpan((int)first * k, count * k).ToArray().Select(Bits), part.Select(Bits));
            }
        }
    }

    // ---- single rows ----

    [Fact]
    public void DequantizeRow_PlainTypes()
    {
        var dst = new float[3];
        Dequantizer.DequantizeRow(GgmlType.F32, AsBytes(new[] { 1.5f, -2f, 1e-40f }), dst);
        Assert.Equal(new[] { 1.5f, -2f, 1e-40f }, dst);
        Dequantizer.DequantizeRow(GgmlType.F16, AsBytes(new ushort[] { 0x3C00, 0xC000, 0x0001 }), dst);
        Assert.Equal(new[] { 1f, -2f, MathF.Pow(2, -24) }, dst);
        Dequantizer.DequantizeRow(GgmlType.BF16, AsBytes(new ushort[] { 0x3F80, 0xC000, 0x3FC0 }), dst);
        Assert.Equal(new[] { 1f, -2f, 1.5f }, dst);
    }

    [Fact]
    public void DequantizeRow_TernaryTypes_AreTritsTimesScale()
    {
        var rng = new Random(31);
        var trits = I2STests.RandomTrits(rng, 512);
        var dst = new float[512];

        var tq2 = new byte[132];
        TQ2_0.EncodeBlock(trits.AsSpan(0, 256), 0x3800, tq2.AsSpan(0, 66));   // 0.5
        TQ2_0.EncodeBlock(trits.AsSpan(256, 256), 0x4200, tq2.AsSpan(66, 66)); // 3
        Dequantizer.DequantizeRow(GgmlType.TQ2_0, tq2, dst);
        for (int i = 0; i < 512; i++) Assert.Equal(trits[i] * (i < 256 ? 0.5f : 3f), dst[i]);

        var tq1 = new byte[108];
        TQ1_0.EncodeBlock(trits.AsSpan(0, 256), 0x3800, tq1.AsSpan(0, 54));
        TQ1_0.EncodeBlock(trits.AsSpan(256, 256), 0x4200, tq1.AsSpan(54, 54));
        Dequantizer.DequantizeRow(GgmlType.TQ1_0, tq1, dst);
        for (int i = 0; i < 512; i++) Assert.Equal(trits[i] * (i < 256 ? 0.5f : 3f), dst[i]);

        var bn = new byte[IQ2BN.RowBytes(512)];
        IQ2BN.EncodeRow(trits, 0.01f, bn);
        Dequantizer.DequantizeRow(GgmlType.IQ2_BN, bn, dst);
        for (int i = 0; i < 512; i++) Assert.Equal(trits[i] * 0.01f, dst[i]);
    }

    [Fact]
    public void DequantizeRow_QuantTypes_MatchTheirOwnDequantizers()
    {
        var rng = new Random(32);
        var x = Enumerable.Range(0, 512).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var q8 = new byte[16 * 34];
        Q8_0.QuantizeRow(x, q8);
        var expected = new float[512];
        var actual = new float[512];
        Q8_0.DequantizeRow(q8, expected);
        Dequantizer.DequantizeRow(GgmlType.Q8_0, q8, actual);
        Assert.Equal(expected, actual);

        var q6 = new byte[2 * 210];
        Q6K.QuantizeRow(x, q6);
        Q6K.DequantizeRow(q6, expected);
        Dequantizer.DequantizeRow(GgmlType.Q6_K, q6, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void HostileRows_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.F32, new byte[11], new float[3]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.F16, new byte[8], new float[3]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.BF16, new byte[5], new float[3]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.TQ2_0, new byte[66], new float[255]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.TQ2_0, new byte[65], new float[256]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.TQ1_0, new byte[66], new float[256]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.IQ2_BN, new byte[16], new float[64]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.Q8_0, new byte[34], new float[64]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.Q6_K, new byte[210], new float[250]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.I2_S, new byte[64], new float[256]));
        Assert.Throws<NotSupportedException>(() => Dequantizer.DequantizeRow(GgmlType.Q4_0, new byte[18], new float[32]));
        Assert.Throws<ArgumentException>(() => Dequantizer.RowByteSize(GgmlType.TQ2_0, 100));
        Assert.Equal(4 + 64, Dequantizer.RowByteSize(GgmlType.IQ2_BN, 256));
        Assert.Equal(2 * 66, Dequantizer.RowByteSize(GgmlType.TQ2_0, 512));
    }

    // ---- tensors in small synthetic files ----

    [Fact]
    public void Tensors_OfEveryRowType_InASyntheticFile()
    {
        var rng = new Random(33);
        var x = Enumerable.Range(0, 3 * 256).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var q8 = new byte[3 * 8 * 34];
        Q8_0.QuantizeRow(x, q8);
        var q6 = new byte[3 * 210];
        Q6K.QuantizeRow(x, q6);
        var bf16 = x.Select(HalfConversion.F32ToBF16).ToArray();
        var trits = I2STests.RandomTrits(rng, 3 * 128);
        var bn = new byte[3 * IQ2BN.RowBytes(128)];
        for (int r = 0; r < 3; r++)
            IQ2BN.EncodeRow(trits.AsSpan(r * 128, 128), r + 1, bn.AsSpan(r * 36, 36));

        using var file = new TestGguf(
            ("q8", GgmlType.Q8_0, [256, 3], q8),
            ("q6", GgmlType.Q6_K, [256, 3], q6),
            ("bf16", GgmlType.BF16, [256, 3], AsBytes(bf16)),
            ("bn", GgmlType.IQ2_BN, [128, 3], bn));

        var expected = new float[768];
        Q8_0.DequantizeRow(q8, expected);
        Assert.Equal(expected, Dequantizer.DequantizeTensor(file.File, file["q8"]));
        Q6K.DequantizeRow(q6, expected);
        Assert.Equal(expected, Dequantizer.DequantizeTensor(file.File, file["q6"]));
        Assert.Equal(bf16.Select(HalfConversion.BF16ToF32), Dequantizer.DequantizeTensor(file.File, file["bf16"]));
        var bnValues = Dequantizer.DequantizeTensor(file.File, file["bn"]);
        for (int i = 0; i < 384; i++) Assert.Equal(trits[i] * (float)(i / 128 + 1), bnValues[i]);

        var row = new float[256];
        Dequantizer.DequantizeRows(file.File, file["q6"], 2, 1, row);
        Assert.Equal(expected[512..], row);
    }

    [Fact]
    public void DequantizeRows_RejectsBadRanges()
    {
        using var file = new TestGguf(("f", GgmlType.F32, [4, 3], new byte[48]));
        var t = file["f"];
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRows(file.File, t, 3, 1, new float[4]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRows(file.File, t, -1, 1, new float[4]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRows(file.File, t, 0, -1, new float[0]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRows(file.File, t, 2, 2, new float[8]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRows(file.File, t, 0, 2, new float[7]));
        Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRows(file.File, t, long.MaxValue, 1, new float[4]));
        Dequantizer.DequantizeRows(file.File, t, 3, 0, new float[0]); // an empty range at the end is fine
    }
}
