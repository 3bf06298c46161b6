using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tern.Gguf;

namespace Tern.Tensors;

/// <summary>
/// Widens stored tensors to float32: the plain reference path for every type Tern reads (F32, F16, BF16, Q8_0, Q6_K,
/// TQ1_0, TQ2_0, IQ2_BN, and I2_S through the tensor-level methods). Ternary values come out as <c>(float)t · scale</c>,
/// which is exactly ±scale or 0.
/// </summary>
public static unsafe class Dequantizer
{
    /// <summary>
    /// Dequantizes one row stored on its own: <paramref name="rowBytes"/> must be exactly the row's bytes
    /// (for IQ2_BN including its leading float32 scale), and <c>dst.Length</c> is the row length.
    /// I2_S is not a row format (one scale after the whole tensor): use <see cref="DequantizeRows"/>.
    /// </summary>
    public static void DequantizeRow(GgmlType type, ReadOnlySpan<byte> rowBytes, Span<float> dst)
    {
        switch (type)
        {
            case GgmlType.F32:
                CheckPlain(rowBytes.Length, dst.Length, 4, type);
                MemoryMarshal.Cast<byte, float>(rowBytes).CopyTo(dst);
                break;
            case GgmlType.F16:
                CheckPlain(rowBytes.Length, dst.Length, 2, type);
                HalfConversion.F16ToF32(MemoryMarshal.Cast<byte, ushort>(rowBytes), dst);
                break;
            case GgmlType.BF16:
                CheckPlain(rowBytes.Length, dst.Length, 2, type);
                HalfConversion.BF16ToF32(MemoryMarshal.Cast<byte, ushort>(rowBytes), dst);
                break;
            case GgmlType.Q8_0:
                Q8_0.DequantizeRow(rowBytes, dst);
                break;
            case GgmlType.Q6_K:
                Q6K.DequantizeRow(rowBytes, dst);
                break;
            case GgmlType.TQ2_0:
            {
                int blocks = BlockRows.CheckRow(dst.Length, rowBytes.Length, TQ2_0.BlockValues, TQ2_0.BlockBytes);
                Span<sbyte> trits = stackalloc sbyte[TQ2_0.BlockValues];
                for (int b = 0; b < blocks; b++)
                {
                    TQ2_0.DecodeBlock(rowBytes.Slice(b * TQ2_0.BlockBytes, TQ2_0.BlockBytes), trits, out float d);
                    TritsTimesScale(trits, d, dst.Slice(b * TQ2_0.BlockValues, TQ2_0.BlockValues));
                }
                break;
            }
            case GgmlType.TQ1_0:
            {
                int blocks = BlockRows.CheckRow(dst.Length, rowBytes.Length, TQ1_0.BlockValues, TQ1_0.BlockBytes);
                Span<sbyte> trits = stackalloc sbyte[TQ1_0.BlockValues];
                for (int b = 0; b < blocks; b++)
                {
                    TQ1_0.DecodeBlock(rowBytes.Slice(b * TQ1_0.BlockBytes, TQ1_0.BlockBytes), trits, out float d);
                    TritsTimesScale(trits, d, dst.Slice(b * TQ1_0.BlockValues, TQ1_0.BlockValues));
                }
                break;
            }
            case GgmlType.IQ2_BN:
            {
                sbyte[] trits = ArrayPool<sbyte>.Shared.Rent(dst.Length);
                try
                {
                    IQ2BN.DecodeRow(rowBytes, trits.AsSpan(0, dst.Length), out float s);
                    TritsTimesScale(trits.AsSpan(0, dst.Length), s, dst);
                }
                finally
                {
                    ArrayPool<sbyte>.Shared.Return(trits);
                }
                break;
            }
            case GgmlType.I2_S:
                throw new ArgumentException("I2_S is a whole-tensor layout (its scale follows the last row); use Dequantizer.DequantizeRows or I2S", nameof(type));
            default:
                throw new NotSupportedException($"dequantizing {type} is not supported");
        }
    }

    /// <summary>The whole tensor as a flat float array in [rows][columns] order.</summary>
    public static float[] DequantizeTensor(GgufFile file, GgufTensorInfo t)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(t);
        long n = t.ElementCount;
        if (n > Array.MaxLength)
            throw new NotSupportedException($"tensor '{t.Name}' has {n} values, more than one float array holds; dequantize it by row ranges");
        var result = new float[n];
        DequantizeRows(file, t, 0, checked((int)t.Rows), result);
        return result;
    }

    /// <summary>
    /// Rows [firstRow, firstRow + rowCount) of a tensor (rows of ne[0] values); <c>dst.Length</c> must be rowCount · ne[0].
    /// Works for every supported type, I2_S included, and for tensors larger than 2 GiB.
    /// </summary>
    public static void DequantizeRows(GgufFile file, GgufTensorInfo t, long firstRow, int rowCount, Span<float> dst)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(t);
        int columns = RowLength(t);
        if (firstRow < 0 || rowCount < 0 || firstRow > t.Rows - rowCount)
            throw new ArgumentException($"rows [{firstRow}, {firstRow + rowCount}) are outside tensor '{t.Name}' with {t.Rows} rows");
        if (dst.Length != (long)rowCount * columns)
            throw new ArgumentException($"{rowCount} rows of {columns} values need a destination of {(long)rowCount * columns}, got {dst.Length}", nameof(dst));

        byte* tensor = file.GetTensorPointer(t);
        if (t.Type == GgmlType.I2_S)
        {
            // Codes of row r start at byte r·K/4; the float32 scale follows the last row.
            float scale = BinaryPrimitives.ReadSingleLittleEndian(new ReadOnlySpan<byte>(tensor + t.ElementCount / 4, 4));
            int rowBytes = columns / 4;
            sbyte[] trits = ArrayPool<sbyte>.Shared.Rent(columns);
            try
            {
                for (int r = 0; r < rowCount; r++)
                {
                    var codes = new ReadOnlySpan<byte>(tensor + (firstRow + r) * rowBytes, rowBytes);
                    I2S.DecodeTrits(codes, 0, trits.AsSpan(0, columns));
                    TritsTimesScale(trits.AsSpan(0, columns), scale, dst.Slice(r * columns, columns));
                }
            }
            finally
            {
                ArrayPool<sbyte>.Shared.Return(trits);
            }
            return;
        }

        int stride = RowByteSize(t.Type, columns);
        for (int r = 0; r < rowCount; r++)
        {
            var row = new ReadOnlySpan<byte>(tensor + (firstRow + r) * stride, stride);
            DequantizeRow(t.Type, row, dst.Slice(r * columns, columns));
        }
    }

    /// <summary>Bytes of one row of <paramref name="columns"/> values for a row-wise type (not I2_S).</summary>
    public static int RowByteSize(GgmlType type, int columns)
    {
        if (type == GgmlType.I2_S) throw new ArgumentException("I2_S rows have no scale of their own; a row's codes take K/4 bytes", nameof(type));
        if (GgmlTypeInfo.Geometry(type) is not var (blockSize, blockBytes))
            throw new NotSupportedException($"type {type} is not supported");
        if (columns <= 0 || columns % blockSize != 0)
            throw new ArgumentException($"a row of {type} holds a positive multiple of {blockSize} values, not {columns}", nameof(columns));
        long size = (long)columns / blockSize * blockBytes + (type == GgmlType.IQ2_BN ? IQ2BN.ScaleBytes : 0);
        return size <= int.MaxValue ? (int)size : throw new ArgumentException($"a row of {columns} {type} values is too large", nameof(columns));
    }

    internal static int RowLength(GgufTensorInfo t) =>
        t.Columns <= Array.MaxLength ? (int)t.Columns : throw new NotSupportedException($"tensor '{t.Name}' has rows of {t.Columns} values, too long for Tern");

    internal static void TritsTimesScale(ReadOnlySpan<sbyte> trits, float scale, Span<float> dst)
    {
        for (int i = 0; i < trits.Length; i++) dst[i] = trits[i] * scale;
    }

    private static void CheckPlain(int bytes, int values, int width, GgmlType type)
    {
        if ((long)values * width != bytes)
            throw new ArgumentException($"{values} {type} values take {(long)values * width} bytes, got {bytes}");
    }
}
