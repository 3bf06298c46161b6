using System.Buffers.Binary;

namespace Tern.Tensors;

/// <summary>
/// ggml's Q8_0 (type 8): blocks of 32 values, 34 bytes: F16 scale d, then 32 signed bytes q; w = d · q.
/// </summary>
public static class Q8_0
{
    public const int BlockValues = 32;
    public const int BlockBytes = 34;

    /// <summary>Dequantizes one 34-byte block into 32 floats.</summary>
    public static void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> dst32)
    {
        if (block.Length != BlockBytes) throw new ArgumentException($"a Q8_0 block is {BlockBytes} bytes, got {block.Length}", nameof(block));
        if (dst32.Length != BlockValues) throw new ArgumentException($"a Q8_0 block holds {BlockValues} values, got a span of {dst32.Length}", nameof(dst32));
        float d = HalfConversion.F16ToF32(BinaryPrimitives.ReadUInt16LittleEndian(block));
        for (int j = 0; j < BlockValues; j++) dst32[j] = (sbyte)block[2 + j] * d;
    }

    /// <summary>Dequantizes a row of whole blocks; <c>dst.Length</c> is the row length.</summary>
    public static void DequantizeRow(ReadOnlySpan<byte> rowBytes, Span<float> dst)
    {
        int blocks = BlockRows.CheckRow(dst.Length, rowBytes.Length, BlockValues, BlockBytes);
        for (int i = 0; i < blocks; i++)
            DequantizeBlock(rowBytes.Slice(i * BlockBytes, BlockBytes), dst.Slice(i * BlockValues, BlockValues));
    }

    /// <summary>
    /// Quantizes as ggml's <c>quantize_row_q8_0_ref</c>: per block d = max|x| / 127 (stored as F16),
    /// q = round(x · (1/d)) with halves away from zero, using the float32 d (not the F16-rounded one) for the reciprocal.
    /// </summary>
    public static void QuantizeRow(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int blocks = BlockRows.CheckRow(x.Length, dst.Length, BlockValues, BlockBytes);
        for (int i = 0; i < blocks; i++)
        {
            var xb = x.Slice(i * BlockValues, BlockValues);
            var block = dst.Slice(i * BlockBytes, BlockBytes);
            float amax = 0;
            foreach (float v in xb) amax = MathF.Max(amax, MathF.Abs(v));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(block, HalfConversion.F32ToF16(d));
            for (int j = 0; j < BlockValues; j++)
                block[2 + j] = (byte)(sbyte)Math.Clamp((int)MathF.Round(xb[j] * id, MidpointRounding.AwayFromZero), -127, 127);
        }
    }
}
