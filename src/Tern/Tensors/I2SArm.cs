using System.Buffers.Binary;

namespace Tern.Tensors;

/// <summary>
/// The I2_S layout of bitnet.cpp's ARM builds (<see cref="I2SBlockLayout.Arm"/>), and its conversion to and from the
/// x86 layout every Tern kernel reads (<see cref="I2S"/>).
/// </summary>
/// <remarks>
/// <para>Same codes (c = t + 1), same 32-byte trailer with the float32 scale, but the flat array is cut into
/// 64-value blocks of 16 bytes: value j of block b is in byte 16b + (j mod 16) at shift 6 − 2·⌊j/16⌋.</para>
/// <para>Two ARM blocks cover exactly the 128 values and the 32 bytes of one x86 block, so the conversion is a fixed
/// permutation of bit pairs inside each aligned 32-byte chunk. Value v of a chunk sits at</para>
/// <code>
/// x86: byte v mod 32,            pair ⌊v/32⌋
/// ARM: byte 16·⌊v/64⌋ + v mod 16, pair ⌊(v mod 64)/16⌋
/// </code>
/// <para>Writing v = 64h + 32r + 16q + i (h, r, q ∈ {0, 1}, i &lt; 16): x86 byte 16q + i pair 2h + r holds what ARM
/// byte 16h + i holds in pair 2r + q. Every moved pair stays inside its byte after masking, so eight bytes are
/// converted at once in a ulong.</para>
/// </remarks>
public static class I2SArm
{
    public const int BlockValues = 64;
    public const int BlockBytes = 16;
    /// <summary>The unit both layouts agree on: 128 values in 32 bytes.</summary>
    public const int ChunkBytes = 32;

    private const ulong Pair0 = 0xC0C0C0C0C0C0C0C0, Pair1 = 0x3030303030303030, Pair2 = 0x0C0C0C0C0C0C0C0C, Pair3 = 0x0303030303030303;

    /// <summary>
    /// Converts ARM-layout code bytes to the x86 layout. Lengths must be equal and a multiple of 32 (whole chunks); the
    /// two spans may be the same memory (each 8-byte pair of a chunk is read before it is written), but must not overlap otherwise.
    /// </summary>
    public static void ToX86(ReadOnlySpan<byte> arm, Span<byte> x86)
    {
        CheckLengths(arm.Length, x86.Length);
        for (int c = 0; c < arm.Length; c += ChunkBytes)
            for (int i = 0; i < BlockBytes; i += 8)
            {
                ulong a0 = BinaryPrimitives.ReadUInt64LittleEndian(arm.Slice(c + i)); // ARM block 0 (h = 0)
                ulong a1 = BinaryPrimitives.ReadUInt64LittleEndian(arm.Slice(c + 16 + i)); // ARM block 1 (h = 1)
                // x86 bytes 0–15 (q = 0) take ARM pairs 0 and 2; bytes 16–31 (q = 1) take pairs 1 and 3.
                ulong lo = (a0 & Pair0) | (a0 & Pair2) << 2 | (a1 & Pair0) >> 4 | (a1 & Pair2) >> 2;
                ulong hi = (a0 & Pair1) << 2 | (a0 & Pair3) << 4 | (a1 & Pair1) >> 2 | (a1 & Pair3);
                BinaryPrimitives.WriteUInt64LittleEndian(x86.Slice(c + i), lo);
                BinaryPrimitives.WriteUInt64LittleEndian(x86.Slice(c + 16 + i), hi);
            }
    }

    /// <summary>Converts x86-layout code bytes to the ARM layout (the inverse of <see cref="ToX86"/>, with the same rules).</summary>
    public static void FromX86(ReadOnlySpan<byte> x86, Span<byte> arm)
    {
        CheckLengths(x86.Length, arm.Length);
        for (int c = 0; c < x86.Length; c += ChunkBytes)
            for (int i = 0; i < BlockBytes; i += 8)
            {
                ulong lo = BinaryPrimitives.ReadUInt64LittleEndian(x86.Slice(c + i));
                ulong hi = BinaryPrimitives.ReadUInt64LittleEndian(x86.Slice(c + 16 + i));
                ulong a0 = (lo & Pair0) | (hi & Pair0) >> 2 | (lo & Pair1) >> 2 | (hi & Pair1) >> 4;
                ulong a1 = (lo & Pair2) << 4 | (hi & Pair2) << 2 | (lo & Pair3) << 2 | (hi & Pair3);
                BinaryPrimitives.WriteUInt64LittleEndian(arm.Slice(c + i), a0);
                BinaryPrimitives.WriteUInt64LittleEndian(arm.Slice(c + 16 + i), a1);
            }
    }

    /// <summary>The trit of value <paramref name="index"/> of ARM-layout codes, straight from the definition (for tests and checks).</summary>
    public static sbyte TritAt(ReadOnlySpan<byte> arm, long index)
    {
        if (index < 0 || index / 4 >= arm.Length) throw new ArgumentOutOfRangeException(nameof(index), $"value {index} lies past the {arm.Length} code bytes");
        long block = index / BlockValues;
        int j = (int)(index % BlockValues);
        int b = arm[checked((int)(block * BlockBytes + j % 16))];
        return (sbyte)(((b >> (6 - 2 * (j / 16))) & 3) - 1);
    }

    private static void CheckLengths(int src, int dst)
    {
        if (src != dst) throw new ArgumentException($"source has {src} bytes, destination {dst}; they must be equal");
        if (src % ChunkBytes != 0) throw new ArgumentException($"{src} code bytes are not whole {ChunkBytes}-byte chunks (128 values)");
    }
}
