using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tern.Safetensors;
using Tern.Tensors;

namespace Tern.Conversion;

/// <summary>Widening a checkpoint's float tensors (F32, F16, BF16, little-endian) to float32.</summary>
internal static class HfFloats
{
    public static bool IsFloat(SafetensorsDtype d) => d is SafetensorsDtype.F32 or SafetensorsDtype.F16 or SafetensorsDtype.BF16;

    public static void ToFloat32(SafetensorsDtype dtype, ReadOnlySpan<byte> bytes, Span<float> dst, string name)
    {
        switch (dtype)
        {
            case SafetensorsDtype.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(bytes).CopyTo(dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case SafetensorsDtype.F16:
                HalfConversion.F16ToF32(MemoryMarshal.Cast<byte, ushort>(bytes), dst);
                break;
            case SafetensorsDtype.BF16:
                HalfConversion.BF16ToF32(MemoryMarshal.Cast<byte, ushort>(bytes), dst);
                break;
            default:
                throw new HfCheckpointException($"{name} is {SafetensorsDtypes.Name(dtype)}; Tern expects F32, F16 or BF16 here");
        }
    }

    /// <summary>A one-element float tensor (a weight_scale, shape [1] or []); F64 is accepted too.</summary>
    public static double Scalar(SafetensorsCheckpoint ckpt, SafetensorsTensorInfo t)
    {
        if (t.ElementCount != 1) throw new HfCheckpointException($"{t.Name} has shape {t.ShapeString}; a weight scale holds one value");
        using var view = ckpt.Map(t);
        if (t.Dtype == SafetensorsDtype.F64) return BinaryPrimitives.ReadDoubleLittleEndian(view.Bytes);
        Span<float> v = stackalloc float[1];
        ToFloat32(t.Dtype, view.Bytes, v, t.Name);
        return v[0];
    }
}
