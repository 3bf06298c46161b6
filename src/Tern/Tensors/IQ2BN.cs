using System.Buffers.Binary;

namespace Tern.Tensors;

/// <summary>
/// ik_llama.cpp's IQ2_BN (GGML type 135 in ik_llama.cpp): per row a float32 scale, then blocks of 64 ternary values
/// in 16 bytes. Tern reads it; writing is provided for tests and tools.
/// </summary>
/// <remarks>
/// <code>
/// bytes [0, 4)              float32 row scale s (ik_llama.cpp writes max|w| of the row): w = s · t
/// bytes [4 + 16b, +16)      block b: byte j holds the codes c = t + 1 of values 64b + j, +16, +32, +48
///                           in bits 0–1, 2–3, 4–5, 6–7
/// </code>
/// A row of K values therefore takes 4 + K/4 bytes; K must be a multiple of 64.
/// </remarks>
public static class IQ2BN
{
    public const int BlockValues = 64;
    public const int BlockBytes = 16;
    public const int ScaleBytes = 4;

    /// <summary>Bytes of one row of <paramref name="rowLength"/> values.</summary>
    public static int RowBytes(int rowLength)
    {
        if (rowLength <= 0 || rowLength % BlockValues != 0)
            throw new ArgumentException($"an IQ2_BN row holds a positive multiple of {BlockValues} values, not {rowLength}", nameof(rowLength));
        return ScaleBytes + rowLength / 4;
    }

    /// <summary>Decodes a row (its 4-byte scale included) into trits; <c>trits.Length</c> is the row length.</summary>
    public static void DecodeRow(ReadOnlySpan<byte> rowBytes, Span<sbyte> trits, out float scale)
    {
        CheckRow(rowBytes.Length, trits.Length);
        scale = BinaryPrimitives.ReadSingleLittleEndian(rowBytes);
        var codes = rowBytes[ScaleBytes..];
        for (int b = 0; b < trits.Length / BlockValues; b++)
        {
            var block = codes.Slice(b * BlockBytes, BlockBytes);
            var t = trits.Slice(b * BlockValues, BlockValues);
            for (int j = 0; j < 16; j++)
            {
                int q = block[j];
                t[j] = (sbyte)((q & 3) - 1);
                t[j + 16] = (sbyte)(((q >> 2) & 3) - 1);
                t[j + 32] = (sbyte)(((q >> 4) & 3) - 1);
                t[j + 48] = (sbyte)((q >> 6) - 1);
            }
        }
    }

    /// <summary>Writes a row: the float32 scale, then the codes.</summary>
    public static void EncodeRow(ReadOnlySpan<sbyte> trits, float scale, Span<byte> rowBytes)
    {
        CheckRow(rowBytes.Length, trits.Length);
        BinaryPrimitives.WriteSingleLittleEndian(rowBytes, scale);
        var codes = rowBytes[ScaleBytes..];
        for (int b = 0; b < trits.Length / BlockValues; b++)
        {
            var t = trits.Slice(b * BlockValues, BlockValues);
            for (int j = 0; j < 16; j++)
                codes[b * BlockBytes + j] = (byte)(I2S.Code(t[j]) | I2S.Code(t[j + 16]) << 2 | I2S.Code(t[j + 32]) << 4 | I2S.Code(t[j + 48]) << 6);
        }
    }

    private static void CheckRow(int bytes, int values)
    {
        int expected = RowBytes(values);
        if (bytes != expected)
            throw new ArgumentException($"an IQ2_BN row of {values} values takes {expected} bytes, got {bytes}");
    }
}
