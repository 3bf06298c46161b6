using System.Buffers.Binary;

namespace Tern.Tensors;

/// <summary>
/// llama.cpp's TQ1_0 (GGML type 34): blocks of 256 ternary values packed 5 (or 4) to a byte, one F16 scale;
/// 1.6875 bits per weight.
/// </summary>
/// <remarks>
/// <code>
/// bytes [0, 48)   qs: 5 trits per byte
/// bytes [48, 52)  qh: 4 trits per byte
/// bytes [52, 54)  d: F16 scale, w = d · t
/// </code>
/// <para><b>Packing a byte.</b> n codes c_k = t_k + 1 form a base-3 number with the first one most significant,
/// idx = Σ c_k · 3^(n−1−k) &lt; 3^n. The byte stores it as a fixed-point fraction of 256: q = ⌈idx · 256 / 3^n⌉.
/// Code k then comes back without a division: multiply by 3^k modulo 256 (which shifts the first k digits out of the
/// fraction) and take the top digit, c_k = ((q · 3^k) mod 256) · 3 >> 8. The 4-trit qh bytes are multiplied by 3
/// before packing (idx · 3 = a 5-digit number whose last digit is 0), so they decode exactly like qs bytes.</para>
/// <para><b>Order.</b> qs[0..31] hold values 0..159: value 32n + m is digit n of qs[m]. qs[32..47] hold 160..239:
/// value 160 + 16n + m is digit n of qs[32 + m]. qh[0..3] hold 240..255: value 240 + 4n + j is digit n of qh[j].</para>
/// </remarks>
public static class TQ1_0
{
    public const int BlockValues = 256;
    public const int BlockBytes = 54;
    private const int QsOffset = 0, QhOffset = 48, ScaleOffset = 52;

    private static ReadOnlySpan<byte> Pow3 => [1, 3, 9, 27, 81, 243];

    /// <summary>Digit k (0 = most significant) of a packed byte, as a trit: ((q · 3^k mod 256) · 3 >> 8) − 1.</summary>
    public static sbyte DecodeTrit(byte q, int k) => (sbyte)((((byte)(q * Pow3[k])) * 3 >> 8) - 1);

    /// <summary>
    /// Packs 5 trits (a qs byte) or 4 trits (a qh byte, pre-multiplied by 3) into one byte, first trit most significant.
    /// </summary>
    public static byte EncodeByte(ReadOnlySpan<sbyte> trits)
    {
        if (trits.Length is not (4 or 5)) throw new ArgumentException($"a TQ1_0 byte packs 4 or 5 trits, not {trits.Length}", nameof(trits));
        int idx = 0;
        foreach (sbyte t in trits) idx = idx * 3 + I2S.Code(t);
        if (trits.Length == 4) idx *= 3; // shift the first trit to the most significant of 5 digits
        return (byte)((idx * 256 + 242) / 243); // ceiling division by 3^5
    }

    /// <summary>Decodes one 54-byte block into 256 trits and its scale d (as float32).</summary>
    public static void DecodeBlock(ReadOnlySpan<byte> block, Span<sbyte> trits256, out float scale)
    {
        CheckBlock(block.Length, trits256.Length);
        for (int n = 0; n < 5; n++)
        {
            for (int m = 0; m < 32; m++) trits256[32 * n + m] = DecodeTrit(block[QsOffset + m], n);
            for (int m = 0; m < 16; m++) trits256[160 + 16 * n + m] = DecodeTrit(block[QsOffset + 32 + m], n);
        }
        for (int n = 0; n < 4; n++)
            for (int j = 0; j < 4; j++) trits256[240 + 4 * n + j] = DecodeTrit(block[QhOffset + j], n);
        scale = HalfConversion.F16ToF32(ReadScaleBits(block));
    }

    /// <summary>The F16 bits of a block's scale d.</summary>
    public static ushort ReadScaleBits(ReadOnlySpan<byte> block) => BinaryPrimitives.ReadUInt16LittleEndian(block.Slice(ScaleOffset, 2));

    /// <summary>Writes one block from 256 trits and the F16 bits of its scale.</summary>
    public static void EncodeBlock(ReadOnlySpan<sbyte> trits256, ushort scaleF16, Span<byte> dst)
    {
        CheckBlock(dst.Length, trits256.Length);
        Span<sbyte> group = stackalloc sbyte[5];
        for (int m = 0; m < 32; m++)
        {
            for (int n = 0; n < 5; n++) group[n] = trits256[32 * n + m];
            dst[QsOffset + m] = EncodeByte(group);
        }
        for (int m = 0; m < 16; m++)
        {
            for (int n = 0; n < 5; n++) group[n] = trits256[160 + 16 * n + m];
            dst[QsOffset + 32 + m] = EncodeByte(group);
        }
        for (int j = 0; j < 4; j++)
        {
            for (int n = 0; n < 4; n++) group[n] = trits256[240 + 4 * n + j];
            dst[QhOffset + j] = EncodeByte(group[..4]);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(ScaleOffset, 2), scaleF16);
    }

    /// <summary>
    /// Quantizes a row as llama.cpp's <c>quantize_row_tq1_0_ref</c> (same rule as <see cref="TQ2_0.QuantizeRow"/>:
    /// d = max|x| as F16, code = round(x / d) + 1). <c>x.Length</c> must be a multiple of 256 and
    /// <c>dst.Length</c> = x.Length / 256 · 54.
    /// </summary>
    public static void QuantizeRow(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int blocks = BlockRows.CheckRow(x.Length, dst.Length, BlockValues, BlockBytes);
        Span<sbyte> trits = stackalloc sbyte[BlockValues];
        for (int i = 0; i < blocks; i++)
        {
            float d = TQ2_0.QuantizeBlockTrits(x.Slice(i * BlockValues, BlockValues), trits);
            EncodeBlock(trits, HalfConversion.F32ToF16(d), dst.Slice(i * BlockBytes, BlockBytes));
        }
    }

    private static void CheckBlock(int bytes, int values)
    {
        if (bytes != BlockBytes) throw new ArgumentException($"a TQ1_0 block is {BlockBytes} bytes, got {bytes}");
        if (values != BlockValues) throw new ArgumentException($"a TQ1_0 block holds {BlockValues} values, got a span of {values}");
    }
}
