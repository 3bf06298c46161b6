using Tern.Gguf;
using Tern.Tensors;

namespace Tern.Models.Layers;

/// <summary>A float-valued matrix as stored (F32, F16, BF16, Q8_0, Q6_K …), read row by row in place from the mapping.</summary>
public sealed unsafe class FloatMatrix
{
    public FloatMatrix(string name, GgmlType type, int rows, int cols, byte* data)
    {
        long? rowBytes = GgmlTypeInfo.ByteSize(type, [cols]);
        if (rowBytes is null || GgmlTypeInfo.IsTernary(type))
            throw new NotSupportedException($"{name}: {type} cannot be used as a float matrix of row length {cols}");
        Name = name; Type = type; Rows = rows; Cols = cols; Data = data; RowBytes = rowBytes.Value;
    }

    public string Name { get; }
    public GgmlType Type { get; }
    public int Rows { get; }
    public int Cols { get; }
    public byte* Data { get; }
    public long RowBytes { get; }
    public long ByteSize => RowBytes * Rows;

    public ReadOnlySpan<byte> RowData(int r) => new(Data + r * RowBytes, (int)RowBytes);

    /// <summary>Row r widened to float32 exactly.</summary>
    public void DecodeRow(int r, Span<float> dst)
    {
        if ((uint)r >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(r), $"{Name}: row {r} outside [0, {Rows})");
        Dequantizer.DequantizeRow(Type, RowData(r), dst[..Cols]);
    }
}
