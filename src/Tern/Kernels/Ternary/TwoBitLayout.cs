using System.Runtime.CompilerServices;
using Tern.Gguf;

namespace Tern.Kernels;

/// <summary>
/// What the fast kernels need to know about a 2-bit layout (I2_S or TQ2_0). Both store 128 consecutive values in 32
/// bytes as four planes of 32: value 32·s + m of such a "half block" is the bit pair at <see cref="Shift"/>(s) of byte
/// m. They differ only in where the 32-byte halves sit and in the plane order:
/// <code>
/// I2_S   half h of a row at byte 32·h;                    plane s at shift 6 − 2s (first 32 values in the top bits)
/// TQ2_0  half h at byte 66·(h/2) + 32·(h mod 2) (66-byte blocks: 64 code bytes + F16 scale); plane s at shift 2s
/// </code>
/// Implemented by structs so generic kernels are specialized per layout by the JIT (the calls fold to constants).
/// </summary>
internal interface ITwoBitLayout
{
    /// <summary>Bytes from one row's start to the next's.</summary>
    static abstract long RowBytes(int k);
    /// <summary>Bytes between the starts of two consecutive 256-value chunks (two halves) of a row.</summary>
    static abstract int ChunkBytes { get; }
    /// <summary>Bit shift of plane s ∈ 0..3.</summary>
    static abstract byte Shift(int plane);
}

internal struct I2SLayout : ITwoBitLayout
{
    public static long RowBytes(int k) => k / 4;
    public static int ChunkBytes => 64;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Shift(int plane) => (byte)(6 - 2 * plane);
}

internal struct TQ2Layout : ITwoBitLayout
{
    public static long RowBytes(int k) => (long)(k / 256) * 66;
    public static int ChunkBytes => 66;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Shift(int plane) => (byte)(2 * plane);
}

/// <summary>Row addressing shared by the fast kernels.</summary>
internal static class TernaryRows
{
    /// <summary>Bytes per row of a ternary matrix (every supported type stores whole blocks per row).</summary>
    public static long RowBytes(TernaryMatrix w) => w.Type switch
    {
        GgmlType.I2_S => w.Cols / 4,
        GgmlType.TQ2_0 => (long)(w.Cols / 256) * 66,
        GgmlType.TQ1_0 => (long)(w.Cols / 256) * 54,
        _ => throw new NotSupportedException($"{w.Name}: {w.Type} is not a ternary type the fast kernels read"),
    };

    /// <summary>True when the fast kernels can read <paramref name="w"/>: I2_S with K a multiple of 128, TQ2_0/TQ1_0 with K a multiple of 256.</summary>
    public static bool Supported(TernaryMatrix w) => w.Type switch
    {
        GgmlType.I2_S => w.Cols > 0 && w.Cols % 128 == 0,
        GgmlType.TQ2_0 or GgmlType.TQ1_0 => w.Cols > 0 && w.Cols % 256 == 0,
        _ => false,
    };

    /// <summary>The argument checks every kernel makes before touching memory through raw pointers.</summary>
    public static void CheckArguments(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, Span<int> dots, int dotsStride)
    {
        if ((uint)row0 > (uint)row1 || row1 > w.Rows) throw new ArgumentOutOfRangeException(nameof(row1), $"row range [{row0}, {row1}) outside [0, {w.Rows})");
        if (n < 0 || (long)n * w.Cols > q.Length) throw new ArgumentException($"{n} tokens of {w.Cols} activations need {(long)n * w.Cols} values, got {q.Length}", nameof(q));
        if (n > 0 && row1 > row0 && (dotsStride < row1 - row0 || (long)(n - 1) * dotsStride + (row1 - row0) > dots.Length))
            throw new ArgumentException($"dots ({dots.Length} values, stride {dotsStride}) too small for {n} × {row1 - row0}", nameof(dots));
    }
}
