using System.Buffers.Binary;

namespace Tern.Tensors;

/// <summary>
/// bitnet.cpp's I2_S layout (GGML type 36), as written by its x86 builds (spec/ternary-types.md).
/// </summary>
/// <remarks>
/// <para>The whole tensor is one flat array of N = M·K trits (row r starts at element r·K), stored as 2-bit codes
/// c = t + 1 ∈ {0, 1, 2}, followed by a 32-byte trailer:</para>
/// <code>
/// bytes [0, N/4)          codes, in blocks of 128 values = 32 bytes
/// bytes [N/4, N/4 + 4)    float32 scale s (one per tensor): w = s · t
/// bytes [N/4 + 4, +28)    padding (garbage in bitnet.cpp's files; Tern writes zeros and never reads it)
/// </code>
/// <para>Within block b (bytes 32b … 32b+31), value j ∈ [0, 128) lives in byte 32b + (j mod 32) at bit shift
/// 6 − 2·⌊j/32⌋: the top bit pair of the 32 bytes holds values 0–31, the next 32–63, then 64–95, and the low pair
/// 96–127. One 32-byte load therefore yields four runs of 32 consecutive codes with a shift and a mask each.</para>
/// <para>ARM builds of bitnet.cpp use 64-value blocks instead and nothing in the file says which layout it holds:
/// see <see cref="I2SArm"/> (the other layout, repacked to this one at load) and <see cref="Models.I2SLayoutDetector"/>.</para>
/// </remarks>
public static class I2S
{
    public const int BlockValues = 128;
    public const int BlockBytes = 32;
    public const int TrailerBytes = 32;

    /// <summary>Bytes of an I2_S tensor of <paramref name="elementCount"/> values: N/4 code bytes plus the 32-byte trailer.</summary>
    public static long ByteSize(long elementCount)
    {
        CheckElementCount(elementCount);
        return elementCount / 4 + TrailerBytes;
    }

    /// <summary>Reads the per-tensor float32 scale, which follows the code bytes.</summary>
    public static float ReadScale(ReadOnlySpan<byte> tensorBytes, long elementCount)
    {
        long size = ByteSize(elementCount);
        if (tensorBytes.Length < size)
            throw new ArgumentException($"an I2_S tensor of {elementCount} values needs {size} bytes, got {tensorBytes.Length}", nameof(tensorBytes));
        return BinaryPrimitives.ReadSingleLittleEndian(tensorBytes.Slice((int)(elementCount / 4), 4));
    }

    /// <summary>
    /// Decodes the trits of elements [firstElement, firstElement + dst.Length) of the flat array.
    /// <paramref name="tensorBytes"/> starts at the tensor's first code byte; it may stop anywhere after the last code byte needed.
    /// </summary>
    public static void DecodeTrits(ReadOnlySpan<byte> tensorBytes, long firstElement, Span<sbyte> dst)
    {
        if (firstElement < 0 || firstElement % BlockValues != 0)
            throw new ArgumentException($"firstElement {firstElement} must be a non-negative multiple of {BlockValues}", nameof(firstElement));
        if (firstElement > 4L * tensorBytes.Length)
            throw new ArgumentException($"firstElement {firstElement} lies past the {tensorBytes.Length} code bytes", nameof(firstElement));
        long lastBlock = (firstElement + dst.Length + BlockValues - 1) / BlockValues; // exclusive
        if (lastBlock * BlockBytes > tensorBytes.Length)
            throw new ArgumentException($"elements [{firstElement}, {firstElement + dst.Length}) need {lastBlock * BlockBytes} code bytes, got {tensorBytes.Length}", nameof(tensorBytes));

        var codes = tensorBytes.Slice((int)(firstElement / 4));
        int i = 0;
        for (; i + BlockValues <= dst.Length; i += BlockValues)
            DecodeBlock(codes.Slice(i / 4, BlockBytes), dst.Slice(i, BlockValues));
        for (; i < dst.Length; i++) // a partial last block
        {
            int j = i % BlockValues;
            int b = codes[i / BlockValues * BlockBytes + j % 32];
            dst[i] = (sbyte)(((b >> (6 - 2 * (j / 32))) & 3) - 1);
        }
    }

    /// <summary>Decodes one 32-byte block into 128 trits.</summary>
    public static void DecodeBlock(ReadOnlySpan<byte> block, Span<sbyte> trits128)
    {
        if (block.Length != BlockBytes) throw new ArgumentException($"an I2_S block is {BlockBytes} bytes, got {block.Length}", nameof(block));
        if (trits128.Length != BlockValues) throw new ArgumentException($"an I2_S block holds {BlockValues} values, got a span of {trits128.Length}", nameof(trits128));
        for (int m = 0; m < 32; m++)
        {
            int b = block[m];
            trits128[m] = (sbyte)((b >> 6) - 1);
            trits128[32 + m] = (sbyte)(((b >> 4) & 3) - 1);
            trits128[64 + m] = (sbyte)(((b >> 2) & 3) - 1);
            trits128[96 + m] = (sbyte)((b & 3) - 1);
        }
    }

    /// <summary>
    /// Writes a whole I2_S tensor: the codes of <paramref name="trits"/> (the flat row-major array), then
    /// <paramref name="scale"/> as float32 and 28 zero bytes. <c>dst.Length</c> must be exactly <see cref="ByteSize"/>.
    /// </summary>
    public static void Encode(ReadOnlySpan<sbyte> trits, float scale, Span<byte> dst)
    {
        long size = ByteSize(trits.Length);
        if (dst.Length != size)
            throw new ArgumentException($"an I2_S tensor of {trits.Length} values takes {size} bytes; destination has {dst.Length}", nameof(dst));
        for (int i = 0; i < trits.Length; i += BlockValues)
        {
            var t = trits.Slice(i, BlockValues);
            var block = dst.Slice(i / 4, BlockBytes);
            for (int m = 0; m < 32; m++)
                block[m] = (byte)(Code(t[m]) << 6 | Code(t[32 + m]) << 4 | Code(t[64 + m]) << 2 | Code(t[96 + m]));
        }
        WriteTrailer(dst, trits.Length, scale);
    }

    /// <summary>
    /// Quantizes float weights to I2_S exactly as bitnet.cpp's <c>quantize_i2_s</c> does: s = max|w| over the tensor,
    /// code 1 where |w| &lt; 1e-6, otherwise 2 for positive and 0 for negative w. No rounding: the input is expected to be
    /// ternary × scale already (see <see cref="Ternarizer"/>). Returns s.
    /// </summary>
    public static float Quantize(ReadOnlySpan<float> weights, Span<byte> dst)
    {
        long size = ByteSize(weights.Length);
        if (dst.Length != size)
            throw new ArgumentException($"an I2_S tensor of {weights.Length} values takes {size} bytes; destination has {dst.Length}", nameof(dst));
        float max = 0;
        foreach (float w in weights) max = MathF.Max(max, MathF.Abs(w));
        for (int i = 0; i < weights.Length; i += BlockValues)
        {
            var w = weights.Slice(i, BlockValues);
            var block = dst.Slice(i / 4, BlockBytes);
            for (int m = 0; m < 32; m++)
                block[m] = (byte)(SignCode(w[m]) << 6 | SignCode(w[32 + m]) << 4 | SignCode(w[64 + m]) << 2 | SignCode(w[96 + m]));
        }
        WriteTrailer(dst, weights.Length, max);
        return max;
    }

    private static int SignCode(float w) => MathF.Abs(w) < 1e-6f ? 1 : w > 0 ? 2 : 0;

    private static void WriteTrailer(Span<byte> dst, long elementCount, float scale)
    {
        var trailer = dst.Slice((int)(elementCount / 4), TrailerBytes);
        BinaryPrimitives.WriteSingleLittleEndian(trailer, scale);
        trailer[4..].Clear();
    }

    internal static int Code(sbyte t) => t is >= -1 and <= 1
        ? t + 1
        : throw new ArgumentException($"trit value {t} is not -1, 0 or +1");

    private static void CheckElementCount(long elementCount)
    {
        if (elementCount <= 0 || elementCount % BlockValues != 0)
            throw new ArgumentException($"an I2_S tensor holds a positive multiple of {BlockValues} values, not {elementCount}", nameof(elementCount));
    }
}
