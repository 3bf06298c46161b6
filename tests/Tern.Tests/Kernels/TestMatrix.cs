using Tern.Gguf;
using Tern.Kernels;
using Tern.Tensors;

namespace Tern.Tests.Kernels;

/// <summary>A ternary matrix in pinned memory, built from trits with the layout's own encoder, or from raw bytes.</summary>
public sealed unsafe class TestMatrix
{
    private readonly byte[] _data;

    private TestMatrix(GgmlType type, int rows, int cols, byte[] data)
    {
        _data = data;
        fixed (byte* p = data) // pinned array
            Matrix = new TernaryMatrix("test", type, rows, cols, p, data.Length, 1f);
    }

    public TernaryMatrix Matrix { get; }

    public static int BlockValues(GgmlType type) => type == GgmlType.I2_S ? I2S.BlockValues : 256;

    public static long RowBytes(GgmlType type, int cols) => type switch
    {
        GgmlType.I2_S => cols / 4,
        GgmlType.TQ2_0 => cols / 256 * TQ2_0.BlockBytes,
        GgmlType.TQ1_0 => cols / 256 * TQ1_0.BlockBytes,
        _ => throw new ArgumentException(type.ToString()),
    };

    /// <summary>Encodes row-major trits [rows][cols] (scales: 1 for I2_S, F16 1.0 per TQ block).</summary>
    public static TestMatrix FromTrits(GgmlType type, int rows, int cols, sbyte[] trits)
    {
        var data = Allocate(type, rows, cols);
        if (type == GgmlType.I2_S) I2S.Encode(trits, 1f, data.AsSpan(0, (int)I2S.ByteSize((long)rows * cols)));
        else
        {
            int bb = type == GgmlType.TQ2_0 ? TQ2_0.BlockBytes : TQ1_0.BlockBytes;
            for (int b = 0; b < rows * cols / 256; b++)
            {
                var t = trits.AsSpan(b * 256, 256);
                var dst = data.AsSpan(b * bb, bb);
                if (type == GgmlType.TQ2_0) TQ2_0.EncodeBlock(t, 0x3C00, dst);
                else TQ1_0.EncodeBlock(t, 0x3C00, dst);
            }
        }
        return new TestMatrix(type, rows, cols, data);
    }

    /// <summary>Any bytes at all: 2-bit layouts then hold the unused code 3 too (the reference reads it as +2).</summary>
    public static TestMatrix FromBytes(GgmlType type, int rows, int cols, Func<int, byte> byteAt)
    {
        var data = Allocate(type, rows, cols);
        for (int i = 0; i < data.Length; i++) data[i] = byteAt(i);
        return new TestMatrix(type, rows, cols, data);
    }

    public static TestMatrix Random(GgmlType type, int rows, int cols, Random rng, bool rawBytes)
    {
        if (rawBytes) return FromBytes(type, rows, cols, _ => (byte)rng.Next(256));
        var t = new sbyte[rows * cols];
        for (int i = 0; i < t.Length; i++) t[i] = (sbyte)(rng.Next(3) - 1);
        return FromTrits(type, rows, cols, t);
    }

    public static TestMatrix Constant(GgmlType type, int rows, int cols, sbyte trit) =>
        FromTrits(type, rows, cols, Enumerable.Repeat(trit, rows * cols).ToArray());

    private static byte[] Allocate(GgmlType type, int rows, int cols) =>
        // + 32: I2_S's trailer; the kernels never read past the last row's codes (prefetches aside, which cannot fault)
        GC.AllocateArray<byte>(checked((int)(RowBytes(type, cols) * rows + 32)), pinned: true);
}
