// TEMPORARY until the tensor-types branch lands.
using Tern.Gguf;
namespace Tern.Tensors;
public static class I2S { public static void DecodeTrits(ReadOnlySpan<byte> b, long first, Span<sbyte> dst) { for (int j = 0; j < dst.Length; j++) { int blk = j / 128, w = j % 128; dst[j] = (sbyte)(((b[blk * 32 + w % 32] >> (6 - 2 * (w / 32))) & 3) - 1); } } public static float ReadScale(ReadOnlySpan<byte> t, long n) => BitConverter.ToSingle(t.Slice((int)(n / 4), 4)); }
public static class TQ2_0 { public const int BlockValues = 256, BlockBytes = 66; public static void DecodeBlock(ReadOnlySpan<byte> b, Span<sbyte> t, out float s) => throw new NotImplementedException(); }
public static class TQ1_0 { public const int BlockValues = 256, BlockBytes = 54; public static void DecodeBlock(ReadOnlySpan<byte> b, Span<sbyte> t, out float s) => throw new NotImplementedException(); }
public static class Dequantizer { public static void DequantizeRow(GgmlType type, ReadOnlySpan<byte> row, Span<float> dst) { if (type == GgmlType.F32) System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(row).CopyTo(dst); else if (type == GgmlType.F16) for (int i = 0; i < dst.Length; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(row.Slice(2 * i, 2))); else throw new NotImplementedException(); } }
public static class TernaryScales { public static bool TryGetUniformScale(Tern.Gguf.GgufFile f, Tern.Gguf.GgufTensorInfo t, out float scale) => throw new NotImplementedException(); }
