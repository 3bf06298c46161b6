using Tern.Gguf;
using Tern.Tests.Tensors;

namespace Tern.Tests.Gguf;

/// <summary>Tensor types Tern cannot decode are refused at open, by name, with what to do instead.</summary>
public class GgmlTypeTests
{
    [Theory]
    [InlineData(38u, "TL1", "bitnet.cpp's ARM lookup-table format")]
    [InlineData(39u, "TL2", "MXFP4")]
    [InlineData(37u, "I8_S", "re-quantize")]
    [InlineData(16u, "IQ2_XXS", "ternary models only")]
    [InlineData(31u, "Q4_0_4_4", "re-quantize")]
    [InlineData(41u, "Q1_0", "I2_S, TQ2_0 or TQ1_0")]
    [InlineData(200u, "unknown or unsupported ggml type id 200", "")]
    public void AnUndecodableType_IsRefusedByName_InOneLine(uint id, string name, string advice)
    {
        var e = Assert.Throws<GgufFormatException>(() => new TestGguf(("blk.0.attn_q.weight", (GgmlType)id, [128, 4], new byte[160])));
        Assert.Contains("tensor 'blk.0.attn_q.weight' is ", e.Message);
        Assert.Contains(name, e.Message);
        Assert.Contains(advice, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheLookupTableTypes_SayToUseI2SOrTQ2_0()
    {
        foreach (uint id in new[] { 38u, 39u })
        {
            string m = GgmlTypeInfo.DescribeUnsupported(id);
            Assert.Contains("I2_S", m);
            Assert.Contains("TQ2_0", m);
        }
    }

    [Fact]
    public void I2SRowsOfWholeArmBlocksButNotWhole128Chunks_AreRefusedSayingWhy()
    {
        var e = Assert.Throws<GgufFormatException>(() => new TestGguf(("blk.0.ffn_down.weight", GgmlType.I2_S, [192, 2], new byte[192 * 2 / 4 + 32])));
        Assert.Contains("rows of 192 values", e.Message);
        Assert.Contains("ARM layout", e.Message);
        var plain = Assert.Throws<GgufFormatException>(() => new TestGguf(("w", GgmlType.I2_S, [100, 2], new byte[82])));
        Assert.Contains("does not fit type I2_S", plain.Message);
    }
}
