namespace Tern.Safetensors;

/// <summary>The element types a safetensors header may name (the format's own list), with their sizes.</summary>
public enum SafetensorsDtype
{
    Bool, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64,
}

public static class SafetensorsDtypes
{
    /// <summary>The dtype named <paramref name="name"/> exactly as headers spell it ("BF16", "U8", …); false for anything else.</summary>
    public static bool TryParse(string name, out SafetensorsDtype dtype)
    {
        dtype = name switch
        {
            "BOOL" => SafetensorsDtype.Bool,
            "U8" => SafetensorsDtype.U8,
            "I8" => SafetensorsDtype.I8,
            "F8_E5M2" => SafetensorsDtype.F8_E5M2,
            "F8_E4M3" => SafetensorsDtype.F8_E4M3,
            "I16" => SafetensorsDtype.I16,
            "U16" => SafetensorsDtype.U16,
            "F16" => SafetensorsDtype.F16,
            "BF16" => SafetensorsDtype.BF16,
            "I32" => SafetensorsDtype.I32,
            "U32" => SafetensorsDtype.U32,
            "F32" => SafetensorsDtype.F32,
            "F64" => SafetensorsDtype.F64,
            "I64" => SafetensorsDtype.I64,
            "U64" => SafetensorsDtype.U64,
            _ => (SafetensorsDtype)(-1),
        };
        return (int)dtype >= 0;
    }

    public static int SizeOf(SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.Bool or SafetensorsDtype.U8 or SafetensorsDtype.I8 or SafetensorsDtype.F8_E5M2 or SafetensorsDtype.F8_E4M3 => 1,
        SafetensorsDtype.I16 or SafetensorsDtype.U16 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 => 2,
        SafetensorsDtype.I32 or SafetensorsDtype.U32 or SafetensorsDtype.F32 => 4,
        SafetensorsDtype.F64 or SafetensorsDtype.I64 or SafetensorsDtype.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The header spelling of <paramref name="dtype"/>.</summary>
    public static string Name(SafetensorsDtype dtype) => dtype == SafetensorsDtype.Bool ? "BOOL" : dtype.ToString();
}
