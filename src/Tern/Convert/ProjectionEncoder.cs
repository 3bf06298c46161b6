using System.Buffers.Binary;
using Tern.Gguf;
using Tern.Tensors;

namespace Tern.Conversion;

/// <summary>
/// Writes a ternary projection (trits [rows][cols] and one scale) as a GGUF tensor of the chosen type: I2_S keeps the
/// float32 scale exactly; TQ2_0 and TQ1_0 store it as F16 in every 256-value block; F16 and F32 store s·t.
/// </summary>
internal static class ProjectionEncoder
{
    public static readonly GgmlType[] Types = [GgmlType.I2_S, GgmlType.TQ2_0, GgmlType.TQ1_0, GgmlType.F16, GgmlType.F32];

    /// <summary>The row block a type needs (1 for float types); the input width must be a multiple of it.</summary>
    public static int RowBlock(GgmlType type) => type switch
    {
        GgmlType.I2_S => I2S.BlockValues,
        GgmlType.TQ2_0 or GgmlType.TQ1_0 => 256,
        _ => 1,
    };

    private const int ChunkRows = 256;

    public static void Write(Stream s, GgmlType type, ReadOnlySpan<sbyte> trits, int rows, int cols, float scale)
    {
        switch (type)
        {
            case GgmlType.I2_S:
            {
                var buf = new byte[I2S.ByteSize(trits.Length)];
                I2S.Encode(trits, scale, buf);
                s.Write(buf);
                break;
            }
            case GgmlType.TQ2_0 or GgmlType.TQ1_0:
            {
                ushort d = HalfConversion.F32ToF16(scale);
                int blockBytes = type == GgmlType.TQ2_0 ? TQ2_0.BlockBytes : TQ1_0.BlockBytes;
                var buf = new byte[cols / 256 * blockBytes];
                for (int r = 0; r < rows; r++)
                {
                    var row = trits.Slice(r * cols, cols);
                    for (int b = 0; b < cols / 256; b++)
                    {
                        var dst = buf.AsSpan(b * blockBytes, blockBytes);
                        if (type == GgmlType.TQ2_0) TQ2_0.EncodeBlock(row.Slice(b * 256, 256), d, dst);
                        else TQ1_0.EncodeBlock(row.Slice(b * 256, 256), d, dst);
                    }
                    s.Write(buf);
                }
                break;
            }
            case GgmlType.F16 or GgmlType.F32:
            {
                int width = type == GgmlType.F16 ? 2 : 4;
                ushort plus = HalfConversion.F32ToF16(scale), minus = HalfConversion.F32ToF16(-scale);
                var buf = new byte[ChunkRows * cols * width];
                for (int r0 = 0; r0 < rows; r0 += ChunkRows)
                {
                    int n = Math.Min(ChunkRows, rows - r0) * cols;
                    var t = trits.Slice(r0 * cols, n);
                    for (int i = 0; i < n; i++)
                    {
                        if (width == 2) BinaryPrimitives.WriteUInt16LittleEndian(buf.AsSpan(2 * i), t[i] switch { 0 => 0, > 0 => plus, _ => minus });
                        else BinaryPrimitives.WriteSingleLittleEndian(buf.AsSpan(4 * i), t[i] * scale);
                    }
                    s.Write(buf, 0, n * width);
                }
                break;
            }
            default:
                throw new ArgumentException($"projections are written as I2_S, TQ2_0, TQ1_0, F16 or F32, not {type}", nameof(type));
        }
    }
}
