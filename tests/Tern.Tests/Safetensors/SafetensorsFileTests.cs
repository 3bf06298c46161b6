using System.Buffers.Binary;
using System.Text;
using Tern.Safetensors;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Safetensors;

/// <summary>The safetensors reader on valid files, on each kind of hostile header, and on a few hundred fuzzed ones.</summary>
public class SafetensorsFileTests
{
    /// <summary>A file of 8-byte length, the header text as given, and <paramref name="dataBytes"/> bytes of data.</summary>
    private static MemoryStream Raw(string header, int dataBytes, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var ms = new MemoryStream();
        Span<byte> n = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(n, declaredLength ?? (ulong)json.Length);
        ms.Write(n);
        ms.Write(json);
        ms.Write(new byte[dataBytes]);
        return ms;
    }

    private static MemoryStream Valid()
    {
        var ms = new MemoryStream();
        new SafetensorsWriter()
            .Add("a", SafetensorsDtype.BF16, [2, 3], new byte[12])
            .Add("b", SafetensorsDtype.U8, [4], new byte[] { 1, 2, 3, 4 })
            .Add("c", SafetensorsDtype.F32, [1], BitConverter.GetBytes(2.5f))
            .WriteTo(ms);
        return ms;
    }

    private static string Refusal(Stream s) => Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.ReadHeader(s, "x.safetensors")).Message;

    [Fact]
    public void WrittenFileReadsBackWithItsTensorsInOffsetOrder()
    {
        var (start, tensors, metadata) = SafetensorsFile.ReadHeader(Valid(), "x");
        Assert.Equal(0, start % 8);
        Assert.Equal(["a", "b", "c"], tensors.Select(t => t.Name));
        Assert.Equal([2L, 3L], tensors[0].Shape);
        Assert.Equal(start + 16, tensors[2].Offset);
        Assert.Equal("pt", metadata["format"]);
    }

    [Fact]
    public void MappedTensorHoldsItsBytes()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("m.safetensors"), Valid().ToArray());
        using var f = SafetensorsFile.Open(dir.File("m.safetensors"));
        using (var v = f.Map(f.ByName["b"])) Assert.Equal(new byte[] { 1, 2, 3, 4 }, v.Bytes.ToArray());
        using (var v = f.Map(f.ByName["c"])) Assert.Equal(2.5f, BitConverter.ToSingle(v.Bytes));
    }

    [Fact]
    public void WindowOfATensorHoldsThoseBytesAndStaysInsideIt()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("m.safetensors"), Valid().ToArray());
        using var f = SafetensorsFile.Open(dir.File("m.safetensors"));
        using (var v = f.Map(f.ByName["b"], 1, 2)) Assert.Equal(new byte[] { 2, 3 }, v.Bytes.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Map(f.ByName["b"], 3, 2));
    }

    [Theory]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "")] // valid control case
    [InlineData("{\"t\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'F4'")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "is 12 bytes but data_offsets [0, 8] hold 8")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "not a non-negative integer")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "run past the 8 bytes of data")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "out of order")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"u\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlaps")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "belong to no tensor")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "4 bytes after the last tensor")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "twice")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,\"8\"]}}", 8, "not integers")]
    [InlineData("{\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype")]
    [InlineData("{\"t\":[1,2]}", 0, "not an object")]
    [InlineData("[1,2]", 0, "not an object")]
    [InlineData("{\"t\":", 0, "not valid JSON")]
    [InlineData("{\"t\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,0]}}", 0, "too large")]
    public void HostileHeaderIsRefusedSayingWhy(string header, int dataBytes, string why)
    {
        var s = Raw(header, dataBytes);
        if (why == "") { SafetensorsFile.ReadHeader(s, "x"); return; }
        Assert.Contains(why, Refusal(s));
    }

    [Fact]
    public void HeaderLengthsPastTheFileOrTheLimitAreRefused()
    {
        Assert.Contains("too short", Refusal(new MemoryStream(new byte[5])));
        Assert.Contains("truncated", Refusal(Raw("{}", 0, declaredLength: 1000)));
        Assert.Contains("over the format's limit", Refusal(Raw("{}", 0, declaredLength: ulong.MaxValue)));
    }

    [Fact]
    public void TruncatedFileIsRefused()
    {
        var full = Valid().ToArray();
        for (int cut = 1; cut < full.Length; cut += 7)
            Refusal(new MemoryStream(full[..^cut]));
    }

    /// <summary>
    /// 400 mutations of a valid file (bytes of the header and its length overwritten with random or structural
    /// characters, spans deleted or duplicated, the file cut): each either reads as a consistent file or is refused
    /// with <see cref="SafetensorsFormatException"/> — never another exception. Seeded, so failures reproduce.
    /// </summary>
    [Fact]
    public void FuzzedHeadersGiveOnlyTheCleanException()
    {
        var valid = Valid().ToArray();
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        var rng = new Random(20261203);
        const string structural = "{}[],:\"0123456789-eE.FUIB_ \\";
        int refused = 0;
        for (int round = 0; round < 400; round++)
        {
            var bytes = new List<byte>(valid);
            int edits = 1 + rng.Next(4);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.Next(Math.Min(headerEnd, bytes.Count));
                switch (rng.Next(5))
                {
                    case 0: bytes[at] = (byte)rng.Next(256); break;
                    case 1: bytes[at] = (byte)structural[rng.Next(structural.Length)]; break;
                    case 2: bytes.RemoveRange(at, Math.Min(1 + rng.Next(8), bytes.Count - at)); break;
                    case 3: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(1 + rng.Next(8), bytes.Count - at))); break;
                    default: bytes.RemoveRange(bytes.Count - 1 - rng.Next(Math.Min(16, bytes.Count - 1)), 1); break;
                }
            }
            try
            {
                var (start, tensors, _) = SafetensorsFile.ReadHeader(new MemoryStream(bytes.ToArray()), $"fuzz-{round}");
                foreach (var t in tensors) Assert.InRange(t.Offset + t.ByteLength, start, bytes.Count);
            }
            catch (SafetensorsFormatException)
            {
                refused++;
            }
        }
        Assert.InRange(refused, 200, 400); // most mutations break the file, so the checks were exercised
    }

    [Fact]
    public void ShardedIndexMustNameExistingShardsHoldingTheirTensors()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("s1.safetensors"), Valid().ToArray());
        void Index(string weightMap) => File.WriteAllText(dir.File(SafetensorsCheckpoint.IndexFileName), "{\"weight_map\":{" + weightMap + "}}");
        string Refused() => Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(dir.Path).Dispose()).Message;

        Index("\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s1.safetensors\"");
        using (var ok = SafetensorsCheckpoint.Open(dir.Path)) Assert.Equal(3, ok.Tensors.Count());
        Index("\"a\":\"s2.safetensors\"");
        Assert.Contains("does not exist", Refused());
        Index("\"z\":\"s1.safetensors\"");
        Assert.Contains("does not hold it", Refused());
        Index("\"a\":\"../s1.safetensors\"");
        Assert.Contains("not a plain file name", Refused());
        File.WriteAllText(dir.File(SafetensorsCheckpoint.IndexFileName), "{\"weight_map\":");
        Assert.Contains("not valid JSON", Refused());
    }
}
