using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Tern.Safetensors;

/// <summary>
/// Writes a safetensors file (layout in <see cref="SafetensorsFile"/>): tensors in the order added, their data produced
/// by callbacks at write time so nothing large sits in memory. The header is padded with spaces to a multiple of 8
/// bytes, as the format's reference writer does, so the data starts aligned.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly List<(string Name, SafetensorsDtype Dtype, long[] Shape, long Bytes, Action<Stream> Write)> _tensors = new();
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal) { ["format"] = "pt" };

    public SafetensorsWriter Add(string name, SafetensorsDtype dtype, long[] shape, Action<Stream> write)
    {
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"duplicate tensor '{name}'", nameof(name));
        long bytes = shape.Aggregate(1L, (a, d) => checked(a * d)) * SafetensorsDtypes.SizeOf(dtype);
        _tensors.Add((name, dtype, (long[])shape.Clone(), bytes, write));
        return this;
    }

    public SafetensorsWriter Add(string name, SafetensorsDtype dtype, long[] shape, ReadOnlyMemory<byte> data) =>
        Add(name, dtype, shape, s => s.Write(data.Span));

    public IEnumerable<string> Names => _tensors.Select(t => t.Name);

    public void WriteTo(string path)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        WriteTo(fs);
    }

    public void WriteTo(Stream stream)
    {
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (k, v) in _metadata) json.WriteString(k, v);
            json.WriteEndObject();
            long offset = 0;
            foreach (var t in _tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", SafetensorsDtypes.Name(t.Dtype));
                json.WriteStartArray("shape");
                foreach (long d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Bytes;
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');
        Span<byte> n = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(n, (ulong)header.Length);
        stream.Write(n);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var t in _tensors)
        {
            long before = stream.CanSeek ? stream.Position : -1;
            t.Write(stream);
            if (before >= 0 && stream.Position - before != t.Bytes)
                throw new InvalidOperationException($"tensor '{t.Name}': wrote {stream.Position - before} bytes, expected {t.Bytes}");
        }
    }
}
