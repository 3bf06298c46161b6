using Tern.Gguf;
using Tern.Safetensors;
using Tern.Tensors;

namespace Tern.Conversion;

/// <summary>
/// Writes a checkpoint's float tensor (embedding, output layer, norm) as F32, F16, BF16 or Q8_0, a chunk of rows at a
/// time. Bytes are copied unchanged when the checkpoint already stores the output type, so F16 → F16 and BF16 → BF16
/// are exact; otherwise values are widened to float32 and rounded to the output type.
/// </summary>
internal static class FloatTensorEncoder
{
    public static readonly GgmlType[] Types = [GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.F32];

    private const int ChunkBytes = 1 << 20;

    public static void Write(Stream s, GgmlType type, SafetensorsDtype dtype, ReadOnlySpan<byte> src, int rows, int cols, string name)
    {
        if ((type, dtype) is (GgmlType.F32, SafetensorsDtype.F32) or (GgmlType.F16, SafetensorsDtype.F16) or (GgmlType.BF16, SafetensorsDtype.BF16))
        {
            s.Write(src);
            return;
        }
        int srcWidth = SafetensorsDtypes.SizeOf(dtype);
        long outRowBytes = GgufWriter.ByteSizeOf(type, cols);
        int chunkRows = (int)Math.Clamp(ChunkBytes / (4L * cols), 1, rows);
        var values = new float[chunkRows * cols];
        var output = new byte[chunkRows * outRowBytes];
        for (int r0 = 0; r0 < rows; r0 += chunkRows)
        {
            int n = Math.Min(chunkRows, rows - r0);
            var v = values.AsSpan(0, n * cols);
            HfFloats.ToFloat32(dtype, src.Slice(r0 * cols * srcWidth, n * cols * srcWidth), v, name);
            var o = output.AsSpan(0, (int)(n * outRowBytes));
            switch (type)
            {
                case GgmlType.F32:
                    for (int i = 0; i < v.Length; i++) BitConverter.TryWriteBytes(o[(4 * i)..], v[i]);
                    break;
                case GgmlType.F16:
                    for (int i = 0; i < v.Length; i++) BitConverter.TryWriteBytes(o[(2 * i)..], HalfConversion.F32ToF16(v[i]));
                    break;
                case GgmlType.BF16:
                    for (int i = 0; i < v.Length; i++) BitConverter.TryWriteBytes(o[(2 * i)..], HalfConversion.F32ToBF16(v[i]));
                    break;
                case GgmlType.Q8_0:
                    for (int r = 0; r < n; r++) Q8_0.QuantizeRow(v.Slice(r * cols, cols), o.Slice((int)(r * outRowBytes), (int)outRowBytes));
                    break;
                default:
                    throw new ArgumentException($"{name}: float tensors are written as F32, F16, BF16 or Q8_0, not {type}", nameof(type));
            }
            s.Write(o);
        }
    }
}
