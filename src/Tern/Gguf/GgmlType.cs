namespace Tern.Gguf;

/// <summary>ggml tensor type ids (gguf.md). Ids above 35 differ between forks; see <see cref="GgmlTypeInfo"/>.</summary>
public enum GgmlType : uint
{
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35,
    /// <summary>bitnet.cpp's 2-bit ternary type: whole-tensor layout, M·K/4 code bytes then a float32 scale and 28 padding bytes.</summary>
    I2_S = 36,
    /// <summary>ik_llama.cpp's ternary type: per row a float32 scale then K/64 blocks of 16 bytes.</summary>
    IQ2_BN = 135,
}

/// <summary>Block geometry of each tensor type Tern knows, used to size and bounds-check tensors.</summary>
public static class GgmlTypeInfo
{
    /// <summary>Values per block and bytes per block; null for types Tern does not know.</summary>
    public static (int BlockSize, int BlockBytes)? Geometry(GgmlType type) => type switch
    {
        GgmlType.F32 => (1, 4),
        GgmlType.F16 => (1, 2),
        GgmlType.BF16 => (1, 2),
        GgmlType.F64 => (1, 8),
        GgmlType.I8 => (1, 1),
        GgmlType.I16 => (1, 2),
        GgmlType.I32 => (1, 4),
        GgmlType.I64 => (1, 8),
        GgmlType.Q4_0 => (32, 18),
        GgmlType.Q4_1 => (32, 20),
        GgmlType.Q5_0 => (32, 22),
        GgmlType.Q5_1 => (32, 24),
        GgmlType.Q8_0 => (32, 34),
        GgmlType.Q8_1 => (32, 36),
        GgmlType.Q2_K => (256, 84),
        GgmlType.Q3_K => (256, 110),
        GgmlType.Q4_K => (256, 144),
        GgmlType.Q5_K => (256, 176),
        GgmlType.Q6_K => (256, 210),
        GgmlType.Q8_K => (256, 292),
        GgmlType.TQ1_0 => (256, 54),
        GgmlType.TQ2_0 => (256, 66),
        GgmlType.I2_S => (128, 32), // plus a 32-byte trailer per tensor (see ByteSize)
        GgmlType.IQ2_BN => (64, 16), // plus a 4-byte scale per row (see ByteSize)
        _ => null,
    };

    public static bool IsKnown(GgmlType type) => Geometry(type) is not null;

    /// <summary>
    /// What a type id Tern cannot decode is, for a one-line refusal: the types of llama.cpp and bitnet.cpp's fork
    /// (ggml/include/ggml.h of each) that Tern does not read. Ids 37–39 mean different things in the two.
    /// </summary>
    public static string DescribeUnsupported(uint id) => id switch
    {
        >= 16 and <= 23 or 29 => $"{IqName(id)} (ggml type {id}, a llama.cpp i-quant); Tern reads ternary models only: use an I2_S, TQ2_0 or TQ1_0 file",
        >= 31 and <= 33 => $"Q4_0_4_4/Q4_0_4_8/Q4_0_8_8 (ggml type {id}, an ARM repacking llama.cpp no longer writes to files); re-quantize the model",
        37 => "ggml type 37: I8_S (bitnet.cpp's int8 activation type, never a weight) or IQ4_NL_4_8 (a removed llama.cpp repacking); re-quantize the model as I2_S or TQ2_0",
        38 => "TL1 (ggml type 38, bitnet.cpp's ARM lookup-table format, laid out for its generated kernels of one model shape); Tern cannot decode it: use the model's I2_S file, or re-quantize it as I2_S (llama-quantize … I2_S) or TQ2_0",
        39 => "ggml type 39: TL2 in bitnet.cpp (its x86 lookup-table format, laid out for its generated kernels of one model shape) or MXFP4 in llama.cpp; Tern reads neither: use the model's I2_S file, or re-quantize it as I2_S or TQ2_0",
        40 or 41 or 42 => $"ggml type {id} (NVFP4/Q1_0/Q2_0 in recent llama.cpp); Tern does not read it: use an I2_S, TQ2_0 or TQ1_0 file",
        _ => $"of unknown or unsupported ggml type id {id}",
    };

    private static string IqName(uint id) => id switch
    {
        16 => "IQ2_XXS", 17 => "IQ2_XS", 18 => "IQ3_XXS", 19 => "IQ1_S", 20 => "IQ4_NL", 21 => "IQ3_S", 22 => "IQ2_S", 23 => "IQ4_XS",
        _ => "IQ1_M",
    };

    public static bool IsTernary(GgmlType type) =>
        type is GgmlType.I2_S or GgmlType.TQ1_0 or GgmlType.TQ2_0 or GgmlType.IQ2_BN;

    /// <summary>
    /// Bytes a tensor of this type and shape occupies, or null when the shape does not fit the type
    /// (the row length is not a multiple of the block size) or the size overflows.
    /// </summary>
    public static long? ByteSize(GgmlType type, ReadOnlySpan<long> dims)
    {
        if (Geometry(type) is not var (blockSize, blockBytes)) return null;
        if (dims.Length == 0) return null;
        long rowLength = dims[0];
        if (rowLength <= 0 || rowLength % blockSize != 0) return null;
        long rows = 1;
        try
        {
            for (int i = 1; i < dims.Length; i++)
            {
                if (dims[i] <= 0) return null;
                rows = checked(rows * dims[i]);
            }
            long rowBytes = checked(rowLength / blockSize * blockBytes);
            long size = checked(rows * rowBytes);
            return type switch
            {
                GgmlType.I2_S => checked(size + 32),
                GgmlType.IQ2_BN => checked(size + rows * 4),
                _ => size,
            };
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
