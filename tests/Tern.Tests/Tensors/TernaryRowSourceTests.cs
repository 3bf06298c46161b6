using Tern.Gguf;
using Tern.Tensors;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Tensors;

public class TernaryRowSourceTests
{
    private static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);

    // ---- oracle files ----

    /// <summary>
    /// For every ternary tensor of the three ternary oracle files: each decoded row × its scales equals the reference
    /// file's values, the tensor has one uniform scale, and trits × that scale reproduces the reference as well.
    /// </summary>
    [SharedTheory]
    [InlineData("bitnet-cpp", "tiny-i2_s.gguf", "tiny-f32.gguf", TernaryScaleKind.PerTensor)]
    [InlineData("llama-cpp", "bitnet-tiny-tq2_0-f16embd.gguf", "bitnet-tiny-f16.gguf", TernaryScaleKind.PerBlock)]
    [InlineData("llama-cpp", "bitnet-tiny-tq1_0-f16embd.gguf", "bitnet-tiny-f16.gguf", TernaryScaleKind.PerBlock)]
    public void OracleTensors_DecodeToTheReferenceValues_WithOneUniformScale(string folder, string file, string referenceFile, TernaryScaleKind kind)
    {
        using var f = GgufFile.Open(SharedData.PathOf("oracle", folder, file));
        using var reference = GgufFile.Open(SharedData.PathOf("oracle", folder, referenceFile));
        int tensors = 0;
        foreach (var t in f.Tensors.Where(t => GgmlTypeInfo.IsTernary(t.Type)))
        {
            var source = new TernaryRowSource(f, t);
            Assert.Equal(kind, source.ScaleKind);
            Assert.Equal((int)t.Dims[0], source.Columns);
            Assert.Equal(t.Dims[1], source.Rows);
            Assert.True(source.TryGetUniformScale(out float uniform), $"{t.Name}: scales are not uniform");
            Assert.True(uniform > 0);

            float[] expected = Dequantizer.DequantizeTensor(reference, reference.GetTensor(t.Name));
            var trits = new sbyte[source.Columns];
            var scales = new float[source.ScalesPerRow];
            for (long r = 0; r < source.Rows; r++)
            {
                source.DecodeRow(r, trits, scales);
                for (int i = 0; i < trits.Length; i++)
                {
                    float e = expected[r * source.Columns + i];
                    float fromScales = trits[i] * scales[i / source.ScaleBlockLength];
                    float fromUniform = trits[i] * uniform;
                    // −0.0 in bitnet.cpp's F32 file is +0.0 here (see I2STests); all else is bit-exact.
                    if (e == 0 ? fromScales != 0 || fromUniform != 0 : Bits(e) != Bits(fromScales) || Bits(e) != Bits(fromUniform))
                        Assert.Fail($"{t.Name}[{r}, {i}]: reference {e:R}, trit {trits[i]}, scale {scales[i / source.ScaleBlockLength]:R}, uniform {uniform:R}");
                }
            }
            tensors++;
        }
        Assert.Equal(folder == "bitnet-cpp" ? 28 : 14, tensors);
    }

    [SharedFact]
    public void TQ1_0AndTQ2_0Files_HoldTheSameTritsAndScales()
    {
        using var tq1 = GgufFile.Open(SharedData.PathOf("oracle", "llama-cpp", "bitnet-tiny-tq1_0-f16embd.gguf"));
        using var tq2 = GgufFile.Open(SharedData.PathOf("oracle", "llama-cpp", "bitnet-tiny-tq2_0-f16embd.gguf"));
        foreach (var t1 in tq1.Tensors.Where(t => t.Type == GgmlType.TQ1_0))
        {
            var a = new TernaryRowSource(tq1, t1);
            var b = new TernaryRowSource(tq2, tq2.GetTensor(t1.Name));
            Assert.True(a.TryGetUniformScale(out float sa));
            Assert.True(b.TryGetUniformScale(out float sb));
            Assert.Equal(sa, sb);
            var ta = new sbyte[a.Columns];
            var tb = new sbyte[b.Columns];
            for (long r = 0; r < a.Rows; r++)
            {
                a.DecodeRow(r, ta);
                b.DecodeRow(r, tb);
                Assert.Equal(ta, tb);
            }
        }
    }

    [SharedFact]
    public void I2S_ReportsItsTensorScale()
    {
        using var f = GgufFile.Open(SharedData.PathOf("oracle", "bitnet-cpp", "tiny-i2_s.gguf"));
        var t = f.GetTensor("blk.0.ffn_down.weight");
        var source = new TernaryRowSource(f, t);
        float stored = I2S.ReadScale(f.GetTensorBytes(t), t.ElementCount);
        Assert.Equal(stored, source.TensorScale);
        Assert.Equal(1, source.ScalesPerRow);
        Assert.Equal(512, source.ScaleBlockLength);
        var scales = new float[1];
        source.GetRowScales(source.Rows - 1, scales);
        Assert.Equal(stored, scales[0]);
        Assert.True(TernaryRowSource.TryGetUniformScale(f, t, out float uniform));
        Assert.Equal(stored, uniform);
    }

    // ---- synthetic files: when scales are and are not uniform ----

    private static byte[] TQ2Blocks(params (sbyte[] Trits, float Scale)[] blocks)
    {
        var bytes = new byte[blocks.Length * 66];
        for (int b = 0; b < blocks.Length; b++)
            TQ2_0.EncodeBlock(blocks[b].Trits, HalfConversion.F32ToF16(blocks[b].Scale), bytes.AsSpan(b * 66, 66));
        return bytes;
    }

    private static byte[] TQ1Blocks(params (sbyte[] Trits, float Scale)[] blocks)
    {
        var bytes = new byte[blocks.Length * 54];
        for (int b = 0; b < blocks.Length; b++)
            TQ1_0.EncodeBlock(blocks[b].Trits, HalfConversion.F32ToF16(blocks[b].Scale), bytes.AsSpan(b * 54, 54));
        return bytes;
    }

    private static byte[] BNRows(params (sbyte[] Trits, float Scale)[] rows)
    {
        int rowBytes = IQ2BN.RowBytes(rows[0].Trits.Length);
        var bytes = new byte[rows.Length * rowBytes];
        for (int r = 0; r < rows.Length; r++)
            IQ2BN.EncodeRow(rows[r].Trits, rows[r].Scale, bytes.AsSpan(r * rowBytes, rowBytes));
        return bytes;
    }

    [Fact]
    public void TryGetUniformScale_IgnoresOnlyBlocksWithoutNonZeroTrits()
    {
        var rng = new Random(41);
        sbyte[] R() => I2STests.RandomTrits(rng, 256);
        var zero = new sbyte[256];
        var oneNonZero = new sbyte[256];
        oneNonZero[77] = -1;

        // [512, 2]: two blocks per row.
        using var file = new TestGguf(
            ("uniform", GgmlType.TQ2_0, [512, 2], TQ2Blocks((R(), 0.5f), (R(), 0.5f), (zero, 0.75f), (zero, 0f))),
            ("sparse", GgmlType.TQ2_0, [512, 2], TQ2Blocks((zero, 0f), (oneNonZero, 0.25f), (zero, 0f), (R(), 0.25f))),
            ("mixed", GgmlType.TQ2_0, [512, 2], TQ2Blocks((R(), 0.5f), (R(), 0.5f), (R(), 0.5f), (oneNonZero, 0.25f))),
            ("zeroScale", GgmlType.TQ2_0, [512, 2], TQ2Blocks((R(), 0.5f), (R(), 0f), (R(), 0.5f), (R(), 0.5f))),
            ("allZero", GgmlType.TQ2_0, [512, 2], TQ2Blocks((zero, 0f), (zero, 0f), (zero, 0.1f), (zero, 0f))),
            ("tq1Mixed", GgmlType.TQ1_0, [256, 3], TQ1Blocks((R(), 2f), (zero, 1f), (R(), 3f))),
            ("tq1Uniform", GgmlType.TQ1_0, [256, 3], TQ1Blocks((R(), 2f), (zero, 1f), (R(), 2f))),
            ("bnUniform", GgmlType.IQ2_BN, [256, 3], BNRows((R(), 0.3f), (zero, 9f), (R(), 0.3f))),
            ("bnMixed", GgmlType.IQ2_BN, [256, 3], BNRows((R(), 0.3f), (R(), MathF.BitIncrement(0.3f)), (R(), 0.3f))));

        float s;
        Assert.True(TernaryRowSource.TryGetUniformScale(file.File, file["uniform"], out s));
        Assert.Equal(0.5f, s);
        Assert.True(TernaryRowSource.TryGetUniformScale(file.File, file["sparse"], out s));
        Assert.Equal(0.25f, s);
        Assert.False(TernaryRowSource.TryGetUniformScale(file.File, file["mixed"], out _));
        Assert.False(TernaryRowSource.TryGetUniformScale(file.File, file["zeroScale"], out _)); // non-zero trits with d = 0
        Assert.True(TernaryRowSource.TryGetUniformScale(file.File, file["allZero"], out s));
        Assert.Equal(0f, s);
        Assert.False(TernaryRowSource.TryGetUniformScale(file.File, file["tq1Mixed"], out _));
        Assert.True(TernaryRowSource.TryGetUniformScale(file.File, file["tq1Uniform"], out s));
        Assert.Equal(2f, s);
        Assert.True(TernaryRowSource.TryGetUniformScale(file.File, file["bnUniform"], out s));
        Assert.Equal(0.3f, s);
        Assert.False(TernaryRowSource.TryGetUniformScale(file.File, file["bnMixed"], out _));
    }

    [Fact]
    public void PerBlockAndPerRowScales_AreReported()
    {
        var rng = new Random(42);
        var t0 = I2STests.RandomTrits(rng, 256);
        var t1 = I2STests.RandomTrits(rng, 256);
        using var file = new TestGguf(
            ("tq2", GgmlType.TQ2_0, [512, 1], TQ2Blocks((t0, 0.5f), (t1, 2f))),
            ("bn", GgmlType.IQ2_BN, [256, 2], BNRows((t0, 0.5f), (t1, 2f))));

        var tq2 = new TernaryRowSource(file.File, file["tq2"]);
        Assert.Equal(TernaryScaleKind.PerBlock, tq2.ScaleKind);
        Assert.Equal(2, tq2.ScalesPerRow);
        Assert.Equal(256, tq2.ScaleBlockLength);
        var trits = new sbyte[512];
        var scales = new float[2];
        tq2.DecodeRow(0, trits, scales);
        Assert.Equal(t0.Concat(t1), trits);
        Assert.Equal(new[] { 0.5f, 2f }, scales);
        Assert.Throws<InvalidOperationException>(() => tq2.TensorScale);

        var bn = new TernaryRowSource(file.File, file["bn"]);
        Assert.Equal(TernaryScaleKind.PerRow, bn.ScaleKind);
        Assert.Equal(1, bn.ScalesPerRow);
        var row = new sbyte[256];
        var scale = new float[1];
        bn.DecodeRow(1, row, scale);
        Assert.Equal(t1, row);
        Assert.Equal(2f, scale[0]);
        bn.GetRowScales(0, scale);
        Assert.Equal(0.5f, scale[0]);
    }

    [Fact]
    public void HostileArguments_AreRejected()
    {
        using var file = new TestGguf(
            ("tq2", GgmlType.TQ2_0, [256, 2], new byte[132]),
            ("f32", GgmlType.F32, [4], new byte[16]));
        Assert.Throws<ArgumentException>(() => new TernaryRowSource(file.File, file["f32"]));
        var source = new TernaryRowSource(file.File, file["tq2"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => source.DecodeRow(2, new sbyte[256]));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.DecodeRow(-1, new sbyte[256]));
        Assert.Throws<ArgumentException>(() => source.DecodeRow(0, new sbyte[255]));
        Assert.Throws<ArgumentException>(() => source.GetRowScales(0, new float[2]));
    }
}
