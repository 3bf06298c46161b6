using System.Text;
using Tern.Gguf;

namespace Tern.Tests.Tensors;

/// <summary>
/// Writes a minimal GGUF v3 file (one string key, the given tensors, 32-byte alignment) to a temporary path and opens it,
/// for tests that need tensor layouts the oracle files do not contain. Deletes the file on dispose.
/// </summary>
internal sealed class TestGguf : IDisposable
{
    public GgufFile File { get; }
    private readonly string _path;

    public TestGguf(params (string Name, GgmlType Type, long[] Dims, byte[] Data)[] tensors)
    {
        _path = Path.Combine(Path.GetTempPath(), $"tern-test-{Guid.NewGuid():N}.gguf");
        using (var fs = new FileStream(_path, FileMode.CreateNew))
        using (var w = new BinaryWriter(fs))
        {
            w.Write(GgufFile.Magic);
            w.Write(3u);
            w.Write((ulong)tensors.Length);
            w.Write(1ul);
            WriteString(w, "general.architecture");
            w.Write(8u); // string
            WriteString(w, "test");
            long offset = 0;
            var offsets = new long[tensors.Length];
            for (int i = 0; i < tensors.Length; i++)
            {
                var (name, type, dims, data) = tensors[i];
                WriteString(w, name);
                w.Write((uint)dims.Length);
                foreach (long d in dims) w.Write((ulong)d);
                w.Write((uint)type);
                w.Write((ulong)offset);
                offsets[i] = offset;
                offset = AlignUp(offset + data.Length);
            }
            Pad(w);
            foreach (var t in tensors)
            {
                w.Write(t.Data);
                Pad(w);
            }
        }
        File = GgufFile.Open(_path);
    }

    public GgufTensorInfo this[string name] => File.GetTensor(name);

    private static long AlignUp(long x) => (x + 31) / 32 * 32;

    private static void Pad(BinaryWriter w)
    {
        w.Flush();
        long pos = w.BaseStream.Position;
        for (long p = pos; p < AlignUp(pos); p++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    public void Dispose()
    {
        File.Dispose();
        try { System.IO.File.Delete(_path); } catch (IOException) { }
    }
}
