namespace Tern.Gguf;

/// <summary>
/// A metadata array. <see cref="Values"/> is a typed CLR array: byte[], sbyte[], ushort[], short[], uint[], int[],
/// float[], bool[], string[], ulong[], long[], double[], or GgufArray[] for nested arrays.
/// </summary>
public sealed class GgufArray
{
    public GgufArray(GgufValueType elementType, Array values)
    {
        ElementType = elementType;
        Values = values;
    }

    public GgufValueType ElementType { get; }
    public Array Values { get; }
    public int Count => Values.Length;

    public override string ToString() => $"[{ElementType} × {Count}]";
}
