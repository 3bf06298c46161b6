using System.Text;
using Tern.Gguf;

namespace Tern.Tests.Chat;

/// <summary>Writes a metadata-only GGUF v3 file (no tensors) for chat-template tests: strings, u32 and string arrays.</summary>
internal static class TinyGgufWriter
{
    public static string Write(IEnumerable<(string Key, object Value)> metadata)
    {
        var items = metadata.ToList();
        string path = Path.Combine(Path.GetTempPath(), $"tern-chat-{Guid.NewGuid():N}.gguf");
        using var stream = File.Create(path);
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write(0UL);
        w.Write((ulong)items.Count);
        foreach (var (key, value) in items)
        {
            WriteString(w, key);
            switch (value)
            {
                case string s:
                    w.Write((uint)GgufValueType.String);
                    WriteString(w, s);
                    break;
                case uint u:
                    w.Write((uint)GgufValueType.UInt32);
                    w.Write(u);
                    break;
                case string[] strings:
                    w.Write((uint)GgufValueType.Array);
                    w.Write((uint)GgufValueType.String);
                    w.Write((ulong)strings.Length);
                    foreach (var s in strings) WriteString(w, s);
                    break;
                default:
                    throw new ArgumentException($"unsupported test metadata type {value.GetType()}");
            }
        }
        return path;
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
