namespace Tern.Safetensors;

/// <summary>
/// One tensor of a safetensors file: row-major, last dimension fastest (as PyTorch stores it), little-endian.
/// <see cref="Offset"/> is from the start of the file (the header's data_offsets are relative to the end of the header).
/// </summary>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDtype Dtype, long[] Shape, long Offset, long ByteLength)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    public string ShapeString => "[" + string.Join(", ", Shape) + "]";

    public override string ToString() => $"{Name} {SafetensorsDtypes.Name(Dtype)} {ShapeString}";
}
