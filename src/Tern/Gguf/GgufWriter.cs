using System.Text;

namespace Tern.Gguf;

/// <summary>
/// Writes GGUF version 3 files. Metadata values are CLR values (byte, sbyte, ushort, short, uint, int, float, bool,
/// string, ulong, long, double, one-dimensional arrays of those, or <see cref="GgufArray"/>). Tensor data is produced
/// by callbacks at write time, so a multi-gigabyte model never needs to sit in memory.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, object>> _metadata = new();
    private readonly List<PendingTensor> _tensors = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dims, long ByteSize, Action<Stream> Write);

    public GgufWriter(uint alignment = GgufFile.DefaultAlignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) throw new ArgumentException("alignment must be a power of two");
        Alignment = alignment;
        if (alignment != GgufFile.DefaultAlignment) Add("general.alignment", alignment);
    }

    public uint Alignment { get; }

    public GgufWriter Add(string key, object value)
    {
        if (value is Array a) _ = ElementTypeOf(a); // validate now, not at write time
        else _ = TypeOf(value);
        int i = _metadata.FindIndex(kv => kv.Key == key);
        if (i >= 0) _metadata[i] = new(key, value);
        else _metadata.Add(new(key, value));
        return this;
    }

    public GgufWriter AddTensor(string name, GgmlType type, long[] dims, Action<Stream> writeData)
    {
        if (!_names.Add(name)) throw new ArgumentException($"duplicate tensor '{name}'");
        long size = GgmlTypeInfo.ByteSize(type, dims) ?? throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", dims)}] does not fit {type}");
        _tensors.Add(new PendingTensor(name, type, (long[])dims.Clone(), size, writeData));
        return this;
    }

    public GgufWriter AddTensor(string name, GgmlType type, long[] dims, ReadOnlyMemory<byte> data) =>
        AddTensor(name, type, dims, s => s.Write(data.Span));

    public static long ByteSizeOf(GgmlType type, params long[] dims) =>
        GgmlTypeInfo.ByteSize(type, dims) ?? throw new ArgumentException($"shape [{string.Join(", ", dims)}] does not fit {type}");

    /// <summary>Writes to <paramref name="path"/> through a temporary file renamed at the end, so a failure leaves no half-written model.</summary>
    public void WriteTo(string path) => Files.AtomicFile.Write(path, WriteTo);

    public void WriteTo(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            w.Write((uint)TypeOf(value));
            WriteValue(w, value);
        }
        long offset = 0;
        var offsets = new long[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            offsets[i] = offset;
            WriteString(w, t.Name);
            w.Write((uint)t.Dims.Length);
            foreach (long d in t.Dims) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset = AlignUp(offset + t.ByteSize);
        }
        w.Flush();
        Pad(stream, stream.Position);
        long dataStart = stream.Position;
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            long before = stream.Position;
            t.Write(stream);
            long written = stream.Position - before;
            if (written != t.ByteSize)
                throw new InvalidOperationException($"tensor '{t.Name}': wrote {written} bytes, expected {t.ByteSize}");
            Pad(stream, stream.Position - dataStart);
        }
    }

    private long AlignUp(long x) => (x + Alignment - 1) / Alignment * Alignment;

    private void Pad(Stream s, long position)
    {
        long pad = AlignUp(position) - position;
        for (long i = 0; i < pad; i++) s.WriteByte(0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static GgufValueType TypeOf(object v) => v switch
    {
        byte => GgufValueType.UInt8,
        sbyte => GgufValueType.Int8,
        ushort => GgufValueType.UInt16,
        short => GgufValueType.Int16,
        uint => GgufValueType.UInt32,
        int => GgufValueType.Int32,
        float => GgufValueType.Float32,
        bool => GgufValueType.Bool,
        string => GgufValueType.String,
        ulong => GgufValueType.UInt64,
        long => GgufValueType.Int64,
        double => GgufValueType.Float64,
        GgufArray or Array => GgufValueType.Array,
        _ => throw new ArgumentException($"unsupported GGUF metadata value type {v.GetType().Name}"),
    };

    // By exact element type: the runtime lets an int[] pass as uint[] (and sbyte[]/byte[], short[]/ushort[],
    // long[]/ulong[]) in a type pattern, which once wrote token types as UINT32 where llama.cpp expects INT32.
    private static GgufValueType ElementTypeOf(Array a) => a.GetType().GetElementType() switch
    {
        var t when t == typeof(byte) => GgufValueType.UInt8,
        var t when t == typeof(sbyte) => GgufValueType.Int8,
        var t when t == typeof(ushort) => GgufValueType.UInt16,
        var t when t == typeof(short) => GgufValueType.Int16,
        var t when t == typeof(uint) => GgufValueType.UInt32,
        var t when t == typeof(int) => GgufValueType.Int32,
        var t when t == typeof(float) => GgufValueType.Float32,
        var t when t == typeof(bool) => GgufValueType.Bool,
        var t when t == typeof(string) => GgufValueType.String,
        var t when t == typeof(ulong) => GgufValueType.UInt64,
        var t when t == typeof(long) => GgufValueType.Int64,
        var t when t == typeof(double) => GgufValueType.Float64,
        var t when t == typeof(GgufArray) => GgufValueType.Array,
        _ => throw new ArgumentException($"unsupported GGUF array type {a.GetType().Name}"),
    };

    private static void WriteValue(BinaryWriter w, object v)
    {
        switch (v)
        {
            case byte b: w.Write(b); break;
            case sbyte sb: w.Write(sb); break;
            case ushort us: w.Write(us); break;
            case short s: w.Write(s); break;
            case uint ui: w.Write(ui); break;
            case int i: w.Write(i); break;
            case float f: w.Write(f); break;
            case bool bo: w.Write((byte)(bo ? 1 : 0)); break;
            case string str: WriteString(w, str); break;
            case ulong ul: w.Write(ul); break;
            case long l: w.Write(l); break;
            case double d: w.Write(d); break;
            case GgufArray ga: WriteArray(w, ga.ElementType, ga.Values); break;
            case Array a: WriteArray(w, ElementTypeOf(a), a); break;
            default: throw new ArgumentException($"unsupported value {v.GetType().Name}");
        }
    }

    private static void WriteArray(BinaryWriter w, GgufValueType elementType, Array values)
    {
        w.Write((uint)elementType);
        w.Write((ulong)values.Length);
        foreach (var e in values) WriteValue(w, e!);
    }
}
