namespace Tern.Gguf;

/// <summary>One entry of the tensor table. <see cref="Dims"/>[0] is the contiguous dimension (K for a weight matrix).</summary>
public sealed class GgufTensorInfo
{
    internal GgufTensorInfo(string name, long[] dims, GgmlType type, long offset, long byteSize)
    {
        Name = name;
        Dims = dims;
        Type = type;
        Offset = offset;
        ByteSize = byteSize;
    }

    public string Name { get; }
    public long[] Dims { get; }
    public GgmlType Type { get; }
    /// <summary>Offset relative to the start of the data section.</summary>
    public long Offset { get; }
    public long ByteSize { get; }

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>Row length (ne[0]).</summary>
    public long Columns => Dims[0];
    /// <summary>Number of rows: the product of ne[1..].</summary>
    public long Rows => ElementCount / Dims[0];

    public string ShapeString => "[" + string.Join(", ", Dims) + "]";
    public override string ToString() => $"{Name} {Type} {ShapeString}";
}
