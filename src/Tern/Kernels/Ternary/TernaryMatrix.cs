using Tern.Gguf;

namespace Tern.Kernels;

/// <summary>
/// A ternary weight matrix of <see cref="Rows"/> outputs × <see cref="Cols"/> inputs, viewed in place in the
/// memory-mapped file (never copied), with its single per-tensor scale s_w: W = s_w · T, T ∈ {−1, 0, +1}.
/// </summary>
public sealed unsafe class TernaryMatrix
{
    public TernaryMatrix(string name, GgmlType type, int rows, int cols, byte* data, long byteSize, float scale)
    {
        if (!GgmlTypeInfo.IsTernary(type)) throw new ArgumentException($"{name}: {type} is not a ternary type");
        Name = name; Type = type; Rows = rows; Cols = cols; Data = data; ByteSize = byteSize; Scale = scale;
    }

    public string Name { get; }
    public GgmlType Type { get; }
    public int Rows { get; }
    public int Cols { get; }
    public byte* Data { get; }
    public long ByteSize { get; }
    /// <summary>The per-tensor weight scale s_w.</summary>
    public float Scale { get; }

    public override string ToString() => $"{Name} {Type} [{Cols} → {Rows}]";
}
