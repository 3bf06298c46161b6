using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace Tern.Safetensors;

/// <summary>
/// One safetensors file, its header parsed and checked in full at open, its data memory-mapped one tensor at a time
/// (<see cref="Map"/>): a converter that maps, converts and disposes each tensor in turn keeps about one tensor resident.
/// </summary>
/// <remarks>
/// <code>
/// [0, 8)          u64 little-endian N: the header's length in bytes
/// [8, 8 + N)      UTF-8 JSON object: "name": {"dtype": "BF16", "shape": [rows, cols], "data_offsets": [begin, end]}, …,
///                 and optionally "__metadata__": {string: string}
/// [8 + N, EOF)    the data; each tensor's bytes are [8 + N + begin, 8 + N + end), row-major, little-endian
/// </code>
/// Everything is checked before a byte of data is read: N within the file and <see cref="MaxHeaderBytes"/>, valid JSON of
/// that shape, known dtypes, non-negative dimensions, shape × dtype size = end − begin, begin ≤ end ≤ data length, and
/// the ranges tiling the data exactly (no overlap, no hole, nothing after the last) — as the format's reference
/// implementation requires. Every failure is a <see cref="SafetensorsFormatException"/> naming the file.
/// </remarks>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>The format's own header limit (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;
    /// <summary>The largest tensor <see cref="Map"/> hands out (a span's length is an int).</summary>
    public const long MaxTensorBytes = int.MaxValue;

    private readonly MemoryMappedFile? _map;

    private SafetensorsFile(string path, long length, long dataStart, IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, MemoryMappedFile? map)
    {
        Path = path;
        FileLength = length;
        DataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        _map = map;
        ByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }
    public long FileLength { get; }
    public long DataStart { get; }
    /// <summary>The tensors in file order (by offset).</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> ByName { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafetensorsFile Open(string path)
    {
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        }
        catch (FileNotFoundException)
        {
            throw new SafetensorsFormatException($"{path}: file not found");
        }
        using (fs)
        {
            var (dataStart, tensors, metadata) = ReadHeader(fs, path);
            var map = fs.Length == 0 ? null : MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            return new SafetensorsFile(path, fs.Length, dataStart, tensors, metadata, map);
        }
    }

    /// <summary>Parses and checks the header of a safetensors stream (for <see cref="Open"/> and tests); <paramref name="name"/> is used in messages.</summary>
    public static (long DataStart, IReadOnlyList<SafetensorsTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata) ReadHeader(Stream stream, string name)
    {
        long length = stream.Length;
        if (length < 8) throw Error(name, $"the file is {length} bytes, too short for the 8-byte header length (not a safetensors file, or truncated)");
        Span<byte> n8 = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(n8);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(n8);
        if (n > MaxHeaderBytes) throw Error(name, $"the header length is {n} bytes, over the format's limit of {MaxHeaderBytes} (not a safetensors file, or corrupt)");
        if ((long)n > length - 8) throw Error(name, $"the header length is {n} bytes but only {length - 8} follow (truncated)");
        var json = new byte[n];
        stream.ReadExactly(json);
        long dataStart = 8 + (long)n, dataLength = length - dataStart;

        // JsonDocument checks UTF-8 only when a string is read, and then throws InvalidOperationException: check it all first.
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw Error(name, "the header is not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Error(name, $"the header is not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Error(name, $"the header is a JSON {doc.RootElement.ValueKind}, not an object");
            var tensors = new List<SafetensorsTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(entry.Name)) throw Error(name, $"the header names '{entry.Name}' twice");
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object) throw Error(name, "__metadata__ is not an object");
                    foreach (var m in entry.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                tensors.Add(ParseTensor(entry, dataStart, dataLength, name));
            }
            tensors.Sort((a, b) => a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : a.ByteLength.CompareTo(b.ByteLength));
            long end = dataStart;
            string? previous = null;
            foreach (var t in tensors)
            {
                if (t.Offset < end) throw Error(name, $"tensor '{t.Name}' (bytes {t.Offset - dataStart}..{t.Offset - dataStart + t.ByteLength} of the data) overlaps '{previous}'");
                if (t.Offset > end) throw Error(name, $"bytes {end - dataStart}..{t.Offset - dataStart} of the data belong to no tensor (before '{t.Name}')");
                end = t.Offset + t.ByteLength;
                previous = t.Name;
            }
            if (end != length) throw Error(name, $"the file has {length - end} bytes after the last tensor's data");
            return (dataStart, tensors, metadata);
        }
    }

    private static SafetensorsTensorInfo ParseTensor(JsonProperty entry, long dataStart, long dataLength, string file)
    {
        string t = entry.Name;
        if (t.Length == 0) throw Error(file, "a tensor has an empty name");
        var v = entry.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Error(file, $"tensor '{t}': its entry is a JSON {v.ValueKind}, not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Error(file, $"tensor '{t}': missing or non-string \"dtype\"");
        string dtName = dt.GetString()!;
        if (!SafetensorsDtypes.TryParse(dtName, out var dtype)) throw Error(file, $"tensor '{t}': unknown dtype '{dtName}'");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Error(file, $"tensor '{t}': missing or non-array \"shape\"");
        if (sh.GetArrayLength() > 8) throw Error(file, $"tensor '{t}': {sh.GetArrayLength()} dimensions (at most 8 are accepted)");
        var shape = new long[sh.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw Error(file, $"tensor '{t}': dimension {i} is {d.GetRawText()}, not a non-negative integer");
            shape[i++] = dim;
            if (dim != 0 && count > long.MaxValue / 8 / dim) throw Error(file, $"tensor '{t}': shape {sh.GetRawText()} is too large");
            count *= dim;
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Error(file, $"tensor '{t}': \"data_offsets\" is missing or not a [begin, end] pair");
        if (!off[0].TryGetInt64Safe(out long begin) || !off[1].TryGetInt64Safe(out long end))
            throw Error(file, $"tensor '{t}': data_offsets {off.GetRawText()} are not integers");
        if (begin < 0 || end < begin) throw Error(file, $"tensor '{t}': data_offsets [{begin}, {end}] are out of order");
        if (end > dataLength) throw Error(file, $"tensor '{t}': data_offsets [{begin}, {end}] run past the {dataLength} bytes of data (truncated?)");
        long bytes = count * SafetensorsDtypes.SizeOf(dtype);
        if (bytes != end - begin)
            throw Error(file, $"tensor '{t}': shape {sh.GetRawText()} of {dtName} is {bytes} bytes but data_offsets [{begin}, {end}] hold {end - begin}");
        return new SafetensorsTensorInfo(t, dtype, shape, dataStart + begin, bytes);
    }

    /// <summary>Maps one tensor's bytes; dispose the view to unmap them.</summary>
    public TensorView Map(SafetensorsTensorInfo t) => Map(t, 0, t.ByteLength);

    /// <summary>
    /// Maps bytes [<paramref name="start"/>, start + <paramref name="length"/>) of one tensor, so a large tensor can be
    /// read a window at a time (unmapping each window drops its pages from the process's resident set).
    /// </summary>
    public TensorView Map(SafetensorsTensorInfo t, long start, long length)
    {
        if (!ByName.TryGetValue(t.Name, out var own) || own != t) throw new ArgumentException($"tensor '{t.Name}' is not one of {Path}'s", nameof(t));
        if (start < 0 || length < 0 || start + length > t.ByteLength)
            throw new ArgumentOutOfRangeException(nameof(start), $"bytes [{start}, {start + length}) lie outside tensor '{t.Name}' ({t.ByteLength} bytes)");
        if (length > MaxTensorBytes)
            throw Error(Path, $"tensor '{t.Name}' is {t.ByteLength} bytes; Tern converts tensors of up to {MaxTensorBytes} bytes");
        if (length == 0 || _map is null) return new TensorView(null, null, 0);
        var view = _map.CreateViewAccessor(t.Offset + start, length, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        return new TensorView(view, p + view.PointerOffset, (int)length);
    }

    public void Dispose() => _map?.Dispose();

    internal static SafetensorsFormatException Error(string file, string message) => new($"{file}: {message}");

    /// <summary>A mapped tensor's bytes, valid until disposed.</summary>
    public sealed class TensorView : IDisposable
    {
        private MemoryMappedViewAccessor? _view;
        private readonly byte* _p;
        private readonly int _length;

        internal TensorView(MemoryMappedViewAccessor? view, byte* p, int length)
        {
            _view = view;
            _p = p;
            _length = length;
        }

        public ReadOnlySpan<byte> Bytes => _view is null && _length > 0 ? throw new ObjectDisposedException(nameof(TensorView)) : new(_p, _length);

        public void Dispose()
        {
            if (_view is null) return;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _view = null;
        }
    }
}

internal static class JsonElementExtensions
{
    /// <summary>TryGetInt64 that is false (not throwing) for non-numbers.</summary>
    public static bool TryGetInt64Safe(this JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value);
    }
}
