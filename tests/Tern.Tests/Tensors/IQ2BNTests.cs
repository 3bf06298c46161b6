using System.Buffers.Binary;
using Tern.Tensors;

namespace Tern.Tests.Tensors;

public class IQ2BNTests
{
    [Fact]
    public void Layout_HandChecked()
    {
        // Row = f32 scale, then per 64 values 16 bytes; byte j holds values j, j+16, j+32, j+48 in bits 0–1, 2–3, 4–5, 6–7.
        var trits = new sbyte[128];
        trits[0] = 1;        // byte 0 bits 0–1 → code 2
        trits[16] = -1;      // byte 0 bits 2–3 → code 0
        trits[63] = 1;       // byte 15 bits 6–7 → code 2
        trits[64 + 17] = 1;  // block 1, byte 1 bits 2–3 → code 2
        var row = new byte[IQ2BN.RowBytes(128)];
        Assert.Equal(4 + 32, row.Length);
        IQ2BN.EncodeRow(trits, 0.125f, row);
        Assert.Equal(0.125f, BinaryPrimitives.ReadSingleLittleEndian(row));
        Assert.Equal(0b01_01_00_10, row[4 + 0]);
        Assert.Equal(0b10_01_01_01, row[4 + 15]);
        Assert.Equal(0b01_01_10_01, row[4 + 16 + 1]);
        Assert.Equal(0x55, row[4 + 2]);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(256)]
    [InlineData(2560)]
    public void EncodeDecode_RoundTripsRandomTrits(int k)
    {
        var rng = new Random(k);
        var trits = I2STests.RandomTrits(rng, k);
        var row = new byte[IQ2BN.RowBytes(k)];
        IQ2BN.EncodeRow(trits, 3.25f, row);
        var back = new sbyte[k];
        IQ2BN.DecodeRow(row, back, out float scale);
        Assert.Equal(trits, back);
        Assert.Equal(3.25f, scale);
    }

    [Fact]
    public void HostileLengths_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => IQ2BN.RowBytes(0));
        Assert.Throws<ArgumentException>(() => IQ2BN.RowBytes(100));
        Assert.Throws<ArgumentException>(() => IQ2BN.DecodeRow(new byte[19], new sbyte[64], out _));
        Assert.Throws<ArgumentException>(() => IQ2BN.DecodeRow(new byte[16], new sbyte[64], out _)); // scale missing
        Assert.Throws<ArgumentException>(() => IQ2BN.DecodeRow(new byte[20], new sbyte[65], out _));
        Assert.Throws<ArgumentException>(() => IQ2BN.EncodeRow(new sbyte[64], 1f, new byte[21]));
        var bad = new sbyte[64];
        bad[3] = 3;
        Assert.Throws<ArgumentException>(() => IQ2BN.EncodeRow(bad, 1f, new byte[20]));
    }
}
