using System.Buffers.Binary;
using System.Text;

namespace Tern.Gguf;

/// <summary>
/// Bounds-checked little-endian reader over the mapped file. Every read checks the remaining length first,
/// so a truncated or hostile file produces a <see cref="GgufFormatException"/>, never an out-of-range access.
/// </summary>
internal unsafe ref struct GgufCursor
{
    private readonly byte* _base;
    private readonly long _length;
    public long Position;

    public GgufCursor(byte* basePtr, long length)
    {
        _base = basePtr;
        _length = length;
        Position = 0;
    }

    public long Remaining => _length - Position;

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || Remaining < count)
            throw new GgufFormatException($"truncated file: {what} at byte {Position} needs {count} bytes, {Remaining} remain");
        var span = new ReadOnlySpan<byte>(_base + Position, count);
        Position += count;
        return span;
    }

    public byte U8(string what) => Take(1, what)[0];
    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));
    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public float F32(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));
    public double F64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    public string String(string what)
    {
        ulong length = U64(what + " length");
        if (length > (ulong)Remaining)
            throw new GgufFormatException($"{what}: string length {length} at byte {Position - 8} runs past the end of the file");
        if (length > int.MaxValue)
            throw new GgufFormatException($"{what}: string length {length} is too large");
        var bytes = Take((int)length, what);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Reads an element count and checks that at least <paramref name="minBytesEach"/> bytes per element remain.</summary>
    public int Count(string what, long minBytesEach)
    {
        ulong count = U64(what);
        if (count > int.MaxValue || (minBytesEach > 0 && count > (ulong)(Remaining / minBytesEach)))
            throw new GgufFormatException($"{what} {count} is larger than the file can hold ({Remaining} bytes remain at byte {Position})");
        return (int)count;
    }
}
