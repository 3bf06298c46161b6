using System.Buffers.Binary;
using Tern.Gguf;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Gguf;

/// <summary>Malformed and hostile files must give a GgufFormatException naming the problem — never another exception, a hang or a crash.</summary>
public class GgufHostileInputTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static byte[] ValidFile()
    {
        var ms = new MemoryStream();
        new GgufWriter()
            .Add("general.architecture", "test")
            .Add("tokens", new[] { "a", "bc" })
            .AddTensor("w", GgmlType.F32, [4, 2], new byte[32])
            .AddTensor("q", GgmlType.Q8_0, [32], new byte[34])
            .WriteTo(ms);
        return ms.ToArray();
    }

    private string Save(byte[] bytes)
    {
        string p = _dir.File(Guid.NewGuid() + ".gguf");
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private GgufFormatException Rejects(byte[] bytes) =>
        Assert.Throws<GgufFormatException>(() => { using var _ = GgufFile.Open(Save(bytes)); });

    // Offsets in ValidFile(): magic 0, version 4, tensor count 8, kv count 16, first key length 24.
    [Fact]
    public void EveryTruncationIsAFormatError()
    {
        var valid = ValidFile();
        using (GgufFile.Open(Save(valid))) { }
        for (int len = 0; len < valid.Length; len++)
        {
            // Cutting only trailing padding of the last tensor cannot be detected and is harmless; everything else must fail.
            if (len >= valid.Length - 32 + 34 % 32) continue;
            var ex = Rejects(valid[..len]);
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        }
    }

    [Fact]
    public void BadMagic()
    {
        var b = ValidFile(); b[0] = (byte)'X';
        Assert.Contains("magic", Rejects(b).Message);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0xFFFFFFFFu)]
    public void UnsupportedVersion(uint version)
    {
        var b = ValidFile(); BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), version);
        Assert.Contains("version", Rejects(b).Message);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void AbsurdCounts(int offset)
    {
        var b = ValidFile(); BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(offset), ulong.MaxValue / 3);
        Assert.Contains("larger than the file", Rejects(b).Message);
    }

    [Fact]
    public void AbsurdStringLength()
    {
        var b = ValidFile(); BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(24), 1UL << 62);
        Assert.Contains("string length", Rejects(b).Message);
    }

    private static int TensorInfoOffset(byte[] b, string name)
    {
        // find "<len u64><name>" followed by n_dims
        var needle = new byte[8 + name.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(needle, (ulong)name.Length);
        System.Text.Encoding.ASCII.GetBytes(name).CopyTo(needle, 8);
        int at = b.AsSpan().IndexOf(needle);
        Assert.True(at > 0);
        return at + needle.Length; // points at n_dims
    }

    [Fact]
    public void TooManyDimensions()
    {
        var b = ValidFile(); BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(TensorInfoOffset(b, "w")), 5);
        Assert.Contains("dimensions", Rejects(b).Message);
    }

    [Fact]
    public void DimensionsThatOverflow()
    {
        var b = ValidFile(); int at = TensorInfoOffset(b, "w");
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at + 4), 1UL << 40);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at + 12), 1UL << 40);
        Rejects(b);
    }

    [Fact]
    public void UnknownTypeId()
    {
        var b = ValidFile(); int at = TensorInfoOffset(b, "w");
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at + 4 + 16), 77);
        Assert.Contains("type id 77", Rejects(b).Message);
    }

    [Fact]
    public void ShapeNotAMultipleOfTheBlock()
    {
        var b = ValidFile(); int at = TensorInfoOffset(b, "q");
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at + 4), 31);
        Assert.Contains("does not fit", Rejects(b).Message);
    }

    [Theory]
    [InlineData(1UL << 20)]
    [InlineData(ulong.MaxValue - 31)]
    public void TensorDataOutsideTheFile(ulong offset)
    {
        var b = ValidFile(); int at = TensorInfoOffset(b, "q");
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at + 4 + 8 + 4), offset);
        Assert.Contains("outside", Rejects(b).Message);
    }

    [Fact]
    public void MisalignedOffset()
    {
        var b = ValidFile(); int at = TensorInfoOffset(b, "q");
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at + 4 + 8 + 4), 33);
        Assert.Contains("alignment", Rejects(b).Message);
    }

    [Fact]
    public void EmptyFile() => Assert.Contains("empty", Rejects([]).Message);

    [Fact]
    public void RandomCorruptionNeverThrowsAnythingElse()
    {
        var valid = ValidFile();
        var rng = new Random(1234);
        for (int trial = 0; trial < 400; trial++)
        {
            var b = (byte[])valid.Clone();
            int flips = rng.Next(1, 4);
            for (int k = 0; k < flips; k++) b[rng.Next(0, 120)] = (byte)rng.Next(256);
            try { using var _ = GgufFile.Open(Save(b)); }
            catch (GgufFormatException) { }
        }
    }
}
