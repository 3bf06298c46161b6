using System.Buffers.Binary;

namespace Tern.Tensors;

/// <summary>
/// llama.cpp's TQ2_0 (GGML type 35): blocks of 256 ternary values with one F16 scale, 2.0625 bits per weight.
/// </summary>
/// <remarks>
/// <code>
/// bytes [0, 64)   qs: 2-bit codes c = t + 1
/// bytes [64, 66)  d: F16 scale, w = d · t
/// </code>
/// Each 32-byte half j ∈ {0, 32} holds 128 consecutive values as four planes of 32: value 4j + 32l + m
/// (plane l ∈ 0..3, m ∈ 0..31) is bits 2l..2l+1 of qs[j + m]. Plane 0 is in the low bits — the opposite bit order
/// to <see cref="I2S"/>, whose first 32 values sit in the top bits.
/// </remarks>
public static class TQ2_0
{
    public const int BlockValues = 256;
    public const int BlockBytes = 66;
    private const int QsBytes = 64;

    /// <summary>Decodes one 66-byte block into 256 trits and its scale d (as float32).</summary>
    public static void DecodeBlock(ReadOnlySpan<byte> block, Span<sbyte> trits256, out float scale)
    {
        CheckBlock(block.Length, trits256.Length);
        for (int j = 0; j < QsBytes; j += 32)
        {
            for (int m = 0; m < 32; m++)
            {
                int b = block[j + m];
                trits256[4 * j + m] = (sbyte)((b & 3) - 1);
                trits256[4 * j + 32 + m] = (sbyte)(((b >> 2) & 3) - 1);
                trits256[4 * j + 64 + m] = (sbyte)(((b >> 4) & 3) - 1);
                trits256[4 * j + 96 + m] = (sbyte)((b >> 6) - 1);
            }
        }
        scale = HalfConversion.F16ToF32(ReadScaleBits(block));
    }

    /// <summary>The F16 bits of a block's scale d.</summary>
    public static ushort ReadScaleBits(ReadOnlySpan<byte> block) => BinaryPrimitives.ReadUInt16LittleEndian(block.Slice(QsBytes, 2));

    /// <summary>Writes one block from 256 trits and the F16 bits of its scale.</summary>
    public static void EncodeBlock(ReadOnlySpan<sbyte> trits256, ushort scaleF16, Span<byte> dst)
    {
        CheckBlock(dst.Length, trits256.Length);
        for (int j = 0; j < QsBytes; j += 32)
        {
            var t = trits256.Slice(4 * j, 128);
            for (int m = 0; m < 32; m++)
                dst[j + m] = (byte)(I2S.Code(t[m]) | I2S.Code(t[32 + m]) << 2 | I2S.Code(t[64 + m]) << 4 | I2S.Code(t[96 + m]) << 6);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(QsBytes, 2), scaleF16);
    }

    /// <summary>
    /// Quantizes a row as llama.cpp's <c>quantize_row_tq2_0_ref</c>: per block d = max|x| (stored as F16),
    /// code = round(x · (1/d)) + 1 with halves rounded away from zero (an all-zero block gets d = 0 and all codes 1).
    /// Exact for ternary × s input when s is representable in F16. <c>x.Length</c> must be a multiple of 256 and
    /// <c>dst.Length</c> = x.Length / 256 · 66.
    /// </summary>
    public static void QuantizeRow(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int blocks = BlockRows.CheckRow(x.Length, dst.Length, BlockValues, BlockBytes);
        Span<sbyte> trits = stackalloc sbyte[BlockValues];
        for (int i = 0; i < blocks; i++)
        {
            var xb = x.Slice(i * BlockValues, BlockValues);
            float d = QuantizeBlockTrits(xb, trits);
            EncodeBlock(trits, HalfConversion.F32ToF16(d), dst.Slice(i * BlockBytes, BlockBytes));
        }
    }

    /// <summary>
    /// The shared TQ1_0/TQ2_0 rule: d = max|x|, t = round(x · (1/d)) (halves away from zero, clamped to ±1); returns d.
    /// The code uses the float32 d's reciprocal, not the F16-rounded one, as llama.cpp does.
    /// </summary>
    internal static float QuantizeBlockTrits(ReadOnlySpan<float> xb, Span<sbyte> trits)
    {
        float amax = 0;
        foreach (float v in xb) amax = MathF.Max(amax, MathF.Abs(v));
        float id = amax != 0 ? 1.0f / amax : 0.0f;
        for (int j = 0; j < xb.Length; j++)
            trits[j] = (sbyte)Math.Clamp((int)MathF.Round(xb[j] * id, MidpointRounding.AwayFromZero), -1, 1);
        return amax;
    }

    private static void CheckBlock(int bytes, int values)
    {
        if (bytes != BlockBytes) throw new ArgumentException($"a TQ2_0 block is {BlockBytes} bytes, got {bytes}");
        if (values != BlockValues) throw new ArgumentException($"a TQ2_0 block holds {BlockValues} values, got a span of {values}");
    }
}
