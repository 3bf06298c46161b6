using System.IO.MemoryMappedFiles;

namespace Tern.Gguf;

/// <summary>
/// A GGUF file opened read-only and memory-mapped. Metadata and the tensor table are parsed and validated on open;
/// tensor data is never copied: <see cref="GetTensorPointer"/> and <see cref="GetTensorBytes"/> point into the mapping.
/// One instance can be shared by any number of readers; dispose it only after all of them are done.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian u32
    public const uint DefaultAlignment = 32;
    private const int MaxDims = 4;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    public string Path { get; }
    public long FileSize { get; }
    public uint Version { get; }
    public uint Alignment { get; }
    /// <summary>Absolute offset of the tensor data section.</summary>
    public long DataOffset { get; }
    /// <summary>Metadata in file order. Values are byte, sbyte, ushort, short, uint, int, float, bool, string, ulong, long, double or <see cref="GgufArray"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> MetadataList { get; }
    public IReadOnlyDictionary<string, object> Metadata { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    private GgufFile(string path)
    {
        Path = path;
        FileSize = new FileInfo(path).Length;
        if (FileSize == 0) throw new GgufFormatException($"{path}: the file is empty");
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            _view = _map.CreateViewAccessor(0, FileSize, MemoryMappedFileAccess.Read);
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
            _base += _view.PointerOffset;

            var c = new GgufCursor(_base, FileSize);
            if (FileSize < 4 || c.U32("magic") != Magic)
                throw new GgufFormatException("not a GGUF file (bad magic)");
            Version = c.U32("version");
            if (Version is not (2 or 3))
                throw new GgufFormatException($"unsupported GGUF version {Version} (Tern reads versions 2 and 3)");
            long tensorCount = c.Count("tensor count", 8 + 4 + 8 + 4 + 8);
            long kvCount = c.Count("metadata count", 8 + 4 + 1);

            var list = new List<KeyValuePair<string, object>>((int)Math.Min(kvCount, 4096));
            var dict = new Dictionary<string, object>(StringComparer.Ordinal);
            for (long i = 0; i < kvCount; i++)
            {
                string key = c.String($"metadata key #{i}");
                var type = (GgufValueType)c.U32($"type of '{key}'");
                object value = ReadValue(ref c, type, key, depth: 0);
                if (!dict.TryAdd(key, value))
                    throw new GgufFormatException($"duplicate metadata key '{key}'");
                list.Add(new(key, value));
            }
            MetadataList = list;
            Metadata = dict;

            Alignment = DefaultAlignment;
            if (dict.TryGetValue("general.alignment", out var a))
            {
                if (a is not uint au || au == 0 || (au & (au - 1)) != 0)
                    throw new GgufFormatException($"general.alignment must be a power-of-two u32, found {a}");
                Alignment = au;
            }

            var infos = new List<(string Name, long[] Dims, GgmlType Type, ulong Offset)>((int)Math.Min(tensorCount, 65536));
            for (long i = 0; i < tensorCount; i++)
            {
                string name = c.String($"name of tensor #{i}");
                uint nDims = c.U32($"dimension count of tensor '{name}'");
                if (nDims == 0 || nDims > MaxDims)
                    throw new GgufFormatException($"tensor '{name}' has {nDims} dimensions (1 to {MaxDims} allowed)");
                var dims = new long[nDims];
                for (int d = 0; d < nDims; d++)
                {
                    ulong n = c.U64($"dimension {d} of tensor '{name}'");
                    if (n == 0 || n > long.MaxValue)
                        throw new GgufFormatException($"tensor '{name}' has invalid dimension {d} = {n}");
                    dims[d] = (long)n;
                }
                var type = (GgmlType)c.U32($"type of tensor '{name}'");
                ulong offset = c.U64($"offset of tensor '{name}'");
                infos.Add((name, dims, type, offset));
            }

            DataOffset = AlignUp(c.Position, Alignment);
            if (tensorCount > 0 && DataOffset > FileSize)
                throw new GgufFormatException($"truncated file: the data section would start at byte {DataOffset}, past the end ({FileSize})");
            long dataLength = Math.Max(0, FileSize - DataOffset);

            var tensors = new List<GgufTensorInfo>(infos.Count);
            _tensorsByName = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
            foreach (var (name, dims, type, offset) in infos)
            {
                if (!GgmlTypeInfo.IsKnown(type))
                    throw new GgufFormatException($"tensor '{name}' is {GgmlTypeInfo.DescribeUnsupported((uint)type)}");
                long? size = GgmlTypeInfo.ByteSize(type, dims);
                if (size is null && type == GgmlType.I2_S && dims.Length > 0 && dims[0] > 0 && dims[0] % 128 == 64)
                    throw new GgufFormatException($"tensor '{name}' is I2_S with rows of {dims[0]} values, whole 64-value blocks of bitnet.cpp's ARM layout but not whole 128-value chunks; Tern reads I2_S rows of a multiple of 128 values only: re-quantize as TQ2_0 or on x86");
                if (size is null)
                    throw new GgufFormatException($"tensor '{name}' shape [{string.Join(", ", dims)}] does not fit type {type} (block size {GgmlTypeInfo.Geometry(type)!.Value.BlockSize}) or overflows");
                if (offset % Alignment != 0)
                    throw new GgufFormatException($"tensor '{name}' offset {offset} is not a multiple of the alignment {Alignment}");
                if (offset > (ulong)dataLength || (ulong)size.Value > (ulong)dataLength - offset)
                    throw new GgufFormatException($"tensor '{name}' data [{offset}, +{size}) lies outside the data section ({dataLength} bytes); the file may be truncated");
                var info = new GgufTensorInfo(name, dims, type, (long)offset, size.Value);
                if (!_tensorsByName.TryAdd(name, info))
                    throw new GgufFormatException($"duplicate tensor name '{name}'");
                tensors.Add(info);
            }
            Tensors = tensors;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Opens and validates a GGUF file. Throws <see cref="GgufFormatException"/> for malformed files and <see cref="IOException"/>-family errors for unreadable ones.</summary>
    public static GgufFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file not found: {path}", path);
        return new GgufFile(path);
    }

    private static long AlignUp(long x, long a) => (x + a - 1) / a * a;

    private static object ReadValue(ref GgufCursor c, GgufValueType type, string key, int depth) => type switch
    {
        GgufValueType.UInt8 => c.U8(key),
        GgufValueType.Int8 => (sbyte)c.U8(key),
        GgufValueType.UInt16 => c.U16(key),
        GgufValueType.Int16 => (short)c.U16(key),
        GgufValueType.UInt32 => c.U32(key),
        GgufValueType.Int32 => (int)c.U32(key),
        GgufValueType.Float32 => c.F32(key),
        GgufValueType.Bool => c.U8(key) switch
        {
            0 => false,
            1 => true,
            var b => throw new GgufFormatException($"metadata '{key}': bool value {b} is neither 0 nor 1"),
        },
        GgufValueType.String => c.String(key),
        GgufValueType.UInt64 => c.U64(key),
        GgufValueType.Int64 => (long)c.U64(key),
        GgufValueType.Float64 => c.F64(key),
        GgufValueType.Array => ReadArray(ref c, key, depth),
        _ => throw new GgufFormatException($"metadata '{key}' has unknown value type {(uint)type}"),
    };

    private static GgufArray ReadArray(ref GgufCursor c, string key, int depth)
    {
        if (depth > 8) throw new GgufFormatException($"metadata '{key}': arrays nested too deeply");
        var elementType = (GgufValueType)c.U32(key + " element type");
        long minBytes = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
            GgufValueType.Array => 12,
            _ => throw new GgufFormatException($"metadata '{key}': unknown array element type {(uint)elementType}"),
        };
        int n = c.Count($"metadata '{key}' array length", minBytes);
        Array values = elementType switch
        {
            GgufValueType.UInt8 => Fill<byte>(ref c, n, key, elementType, depth),
            GgufValueType.Int8 => Fill<sbyte>(ref c, n, key, elementType, depth),
            GgufValueType.UInt16 => Fill<ushort>(ref c, n, key, elementType, depth),
            GgufValueType.Int16 => Fill<short>(ref c, n, key, elementType, depth),
            GgufValueType.UInt32 => Fill<uint>(ref c, n, key, elementType, depth),
            GgufValueType.Int32 => Fill<int>(ref c, n, key, elementType, depth),
            GgufValueType.Float32 => Fill<float>(ref c, n, key, elementType, depth),
            GgufValueType.Bool => Fill<bool>(ref c, n, key, elementType, depth),
            GgufValueType.String => Fill<string>(ref c, n, key, elementType, depth),
            GgufValueType.UInt64 => Fill<ulong>(ref c, n, key, elementType, depth),
            GgufValueType.Int64 => Fill<long>(ref c, n, key, elementType, depth),
            GgufValueType.Float64 => Fill<double>(ref c, n, key, elementType, depth),
            _ => Fill<GgufArray>(ref c, n, key, elementType, depth),
        };
        return new GgufArray(elementType, values);
    }

    private static T[] Fill<T>(ref GgufCursor c, int n, string key, GgufValueType elementType, int depth)
    {
        var result = new T[n];
        for (int i = 0; i < n; i++) result[i] = (T)ReadValue(ref c, elementType, key, depth + 1);
        return result;
    }

    // ---- metadata accessors ----

    public bool Has(string key) => Metadata.ContainsKey(key);

    public string? GetString(string key) => Metadata.TryGetValue(key, out var v) ? v as string ?? throw WrongType(key, v, "string") : null;

    public string Architecture => GetString("general.architecture") ?? throw new GgufFormatException("missing general.architecture");

    /// <summary>An integer metadata value of any integer type, or null when absent.</summary>
    public long? GetInteger(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        return v switch
        {
            byte b => b, sbyte sb => sb, ushort us => us, short s => s, uint ui => ui, int i => i,
            ulong ul => ul > long.MaxValue ? throw new GgufFormatException($"metadata '{key}' = {ul} is too large") : (long)ul,
            long l => l,
            bool bo => bo ? 1 : 0,
            _ => throw WrongType(key, v, "integer"),
        };
    }

    /// <summary>An integer metadata value that must lie in [min, max], or <paramref name="fallback"/> when absent (null fallback = required).</summary>
    public int GetInt32(string key, int? fallback = null, int min = int.MinValue, int max = int.MaxValue)
    {
        long? v = GetInteger(key);
        if (v is null) return fallback ?? throw new GgufFormatException($"missing required metadata '{key}'");
        if (v < min || v > max) throw new GgufFormatException($"metadata '{key}' = {v} is out of range [{min}, {max}]");
        return (int)v.Value;
    }

    public float? GetFloat(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        return v switch
        {
            float f => f,
            double d => (float)d,
            _ when GetInteger(key) is long l => l,
            _ => throw WrongType(key, v, "float"),
        };
    }

    public bool? GetBool(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        return v switch { bool b => b, _ => GetInteger(key) != 0 };
    }

    /// <summary>A metadata array whose elements are of type T, or null when absent.</summary>
    public T[]? GetArray<T>(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        if (v is GgufArray { Values: T[] typed }) return typed;
        if (v is GgufArray arr && typeof(T) == typeof(int))
        {
            // Some writers store token types as other integer widths; widen.
            var result = new int[arr.Count];
            for (int i = 0; i < result.Length; i++) result[i] = Convert.ToInt32(arr.Values.GetValue(i));
            return (T[])(object)result;
        }
        throw WrongType(key, v, typeof(T).Name + "[]");
    }

    private static GgufFormatException WrongType(string key, object v, string expected) =>
        new($"metadata '{key}' should be {expected} but is {v.GetType().Name}");

    // ---- tensors ----

    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.GetValueOrDefault(name);

    public GgufTensorInfo GetTensor(string name) =>
        FindTensor(name) ?? throw new GgufFormatException($"missing tensor '{name}'");

    /// <summary>Pointer to the tensor's first byte inside the mapping (valid until dispose).</summary>
    public byte* GetTensorPointer(GgufTensorInfo t)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + DataOffset + t.Offset;
    }

    /// <summary>The tensor's bytes as a span (tensors of 2 GiB and more must use <see cref="GetTensorPointer"/>).</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo t)
    {
        if (t.ByteSize > int.MaxValue) throw new NotSupportedException($"tensor '{t.Name}' is larger than 2 GiB; use the pointer API");
        return new ReadOnlySpan<byte>(GetTensorPointer(t), (int)t.ByteSize);
    }

    public void Dispose()
    {
        if (_base != null && _view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _base = null;
        _view?.Dispose();
        _map?.Dispose();
    }
}
