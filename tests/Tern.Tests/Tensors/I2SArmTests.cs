using Tern.Tensors;

namespace Tern.Tests.Tensors;

public class I2SArmTests
{
    /// <summary>
    /// ARM-layout bytes built straight from bitnet.cpp's ARM quantizer loop (value j of 64-value block b ORed into
    /// byte 16b + j mod 16 at shift 6 − 2·⌊j/16⌋), independent of the ulong conversion under test.
    /// </summary>
    private static byte[] ArmBytes(ReadOnlySpan<sbyte> trits)
    {
        var bytes = new byte[trits.Length / 4];
        for (int i = 0; i < trits.Length; i++)
        {
            int b = i / 64, j = i % 64;
            bytes[16 * b + j % 16] |= (byte)((trits[i] + 1) << (6 - 2 * (j / 16)));
        }
        return bytes;
    }

    [Theory]
    [InlineData(128)]
    [InlineData(256)]
    [InlineData(128 * 37)]
    public void ToX86_GivesTheBytesI2SEncodeWritesForTheSameTrits(int n)
    {
        var trits = I2STests.RandomTrits(new Random(n), n);
        var arm = ArmBytes(trits);
        var x86 = new byte[arm.Length];
        I2SArm.ToX86(arm, x86);

        var expected = new byte[I2S.ByteSize(n)];
        I2S.Encode(trits, 1f, expected);
        Assert.Equal(expected.AsSpan(0, n / 4).ToArray(), x86);

        var decoded = new sbyte[n];
        I2S.DecodeTrits(x86, 0, decoded);
        Assert.Equal(trits, decoded);
    }

    [Fact]
    public void FromX86_IsTheInverse_AndBothWorkInPlace()
    {
        var trits = I2STests.RandomTrits(new Random(7), 1024);
        var arm = ArmBytes(trits);
        var x86 = new byte[arm.Length];
        I2SArm.ToX86(arm, x86);
        var back = new byte[arm.Length];
        I2SArm.FromX86(x86, back);
        Assert.Equal(arm, back);

        var inPlace = (byte[])arm.Clone();
        I2SArm.ToX86(inPlace, inPlace);
        Assert.Equal(x86, inPlace);
        I2SArm.FromX86(inPlace, inPlace);
        Assert.Equal(arm, inPlace);
    }

    [Fact]
    public void TritAt_ReadsTheArmDefinition()
    {
        var trits = I2STests.RandomTrits(new Random(3), 256);
        var arm = ArmBytes(trits);
        for (int i = 0; i < trits.Length; i++) Assert.Equal(trits[i], I2SArm.TritAt(arm, i));
        Assert.Throws<ArgumentOutOfRangeException>(() => I2SArm.TritAt(arm, 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => I2SArm.TritAt(arm, -1));
    }

    [Fact]
    public void TheTwoLayoutsDiffer_SoAWrongGuessWouldShowInTheValues()
    {
        var trits = I2STests.RandomTrits(new Random(5), 128);
        var x86 = new byte[I2S.ByteSize(128)];
        I2S.Encode(trits, 1f, x86);
        Assert.NotEqual(x86.AsSpan(0, 32).ToArray(), ArmBytes(trits));
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(32, 64)]
    [InlineData(48, 48)]
    public void PartialChunksOrUnequalLengths_AreRefused(int src, int dst)
    {
        var e = Assert.Throws<ArgumentException>(() => I2SArm.ToX86(new byte[src], new byte[dst]));
        Assert.Contains(src % 32 != 0 && src == dst ? "whole 32-byte chunks" : "must be equal", e.Message);
        Assert.Throws<ArgumentException>(() => I2SArm.FromX86(new byte[src], new byte[dst]));
    }
}
