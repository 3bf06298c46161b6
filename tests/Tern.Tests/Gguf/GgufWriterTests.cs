using Tern.Gguf;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Gguf;

public class GgufWriterTests
{
    [Fact]
    public void RoundTripsEveryMetadataTypeAndTensorData()
    {
        using var dir = new TempDir();
        string path = dir.File("m.gguf");
        var data = Enumerable.Range(0, 6 * 4).Select(i => (byte)i).ToArray();
        new GgufWriter()
            .Add("general.architecture", "test")
            .Add("u8", (byte)200).Add("i8", (sbyte)-5).Add("u16", (ushort)60000).Add("i16", (short)-30000)
            .Add("u32", 4000000000u).Add("i32", -7).Add("f32", 1.5f).Add("bool", true)
            .Add("u64", ulong.MaxValue - 1).Add("i64", long.MinValue).Add("f64", Math.PI)
            .Add("strs", new[] { "a", "", "ü€" }).Add("floats", new[] { 1f, -2f })
            .Add("nested", new[] { new GgufArray(GgufValueType.Int32, new[] { 1, 2 }) })
            .AddTensor("t", GgmlType.F32, [3, 2], data)
            .AddTensor("u", GgmlType.F16, [5], new byte[10])
            .WriteTo(path);

        using var f = GgufFile.Open(path);
        Assert.Equal(3u, f.Version);
        Assert.Equal((byte)200, f.Metadata["u8"]);
        Assert.Equal((sbyte)-5, f.Metadata["i8"]);
        Assert.Equal((ushort)60000, f.Metadata["u16"]);
        Assert.Equal((short)-30000, f.Metadata["i16"]);
        Assert.Equal(4000000000u, f.Metadata["u32"]);
        Assert.Equal(-7, f.Metadata["i32"]);
        Assert.Equal(1.5f, f.Metadata["f32"]);
        Assert.Equal(true, f.Metadata["bool"]);
        Assert.Equal(ulong.MaxValue - 1, f.Metadata["u64"]);
        Assert.Equal(long.MinValue, f.Metadata["i64"]);
        Assert.Equal(Math.PI, f.Metadata["f64"]);
        Assert.Equal(new[] { "a", "", "ü€" }, f.GetArray<string>("strs"));
        Assert.Equal(new[] { 1f, -2f }, f.GetArray<float>("floats"));
        Assert.Equal(new[] { 1, 2 }, (int[])f.GetArray<GgufArray>("nested")![0].Values);
        var t = f.GetTensor("t");
        Assert.Equal(data, f.GetTensorBytes(t).ToArray());
        Assert.Equal(0, (f.DataOffset + f.GetTensor("u").Offset) % 32);
    }

    [Fact]
    public void ArraysKeepTheirExactElementType()
    {
        // int[] passes as uint[] in a C# type pattern; the file must still say INT32 (llama.cpp refuses a UINT32
        // tokenizer.ggml.token_type), and likewise for the other signed/unsigned pairs.
        var ms = new MemoryStream();
        new GgufWriter()
            .Add("general.architecture", "test")
            .Add("i32", new[] { 1, -2 }).Add("u32", new[] { 1u, 2u }).Add("i8", new sbyte[] { -1 }).Add("u8", new byte[] { 1 })
            .Add("i16", new short[] { -1 }).Add("u16", new ushort[] { 1 }).Add("i64", new long[] { -1 }).Add("u64", new ulong[] { 1 })
            .WriteTo(ms);
        using var dir = new TempDir();
        string path = dir.File("a.gguf");
        File.WriteAllBytes(path, ms.ToArray());
        using var f = GgufFile.Open(path);
        Assert.Equal(GgufValueType.Int32, ((GgufArray)f.Metadata["i32"]).ElementType);
        Assert.Equal(GgufValueType.UInt32, ((GgufArray)f.Metadata["u32"]).ElementType);
        Assert.Equal(GgufValueType.Int8, ((GgufArray)f.Metadata["i8"]).ElementType);
        Assert.Equal(GgufValueType.UInt8, ((GgufArray)f.Metadata["u8"]).ElementType);
        Assert.Equal(GgufValueType.Int16, ((GgufArray)f.Metadata["i16"]).ElementType);
        Assert.Equal(GgufValueType.UInt16, ((GgufArray)f.Metadata["u16"]).ElementType);
        Assert.Equal(GgufValueType.Int64, ((GgufArray)f.Metadata["i64"]).ElementType);
        Assert.Equal(GgufValueType.UInt64, ((GgufArray)f.Metadata["u64"]).ElementType);
    }

    [Fact]
    public void RejectsDataOfTheWrongSize()
    {
        var w = new GgufWriter().AddTensor("t", GgmlType.F32, [4], new byte[12]);
        Assert.Throws<InvalidOperationException>(() => w.WriteTo(new MemoryStream()));
    }

    [Fact]
    public void RejectsShapesThatDoNotFitTheBlockSize() =>
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("t", GgmlType.TQ2_0, [100, 2], new byte[1]));
}
