namespace Tern.Kernels;

/// <summary>
/// Per-thread pinned scratch memory for the fast kernels (unpacked code panels, permuted activations). Grown when a
/// call needs more, then reused: nothing is allocated per call in steady state.
/// </summary>
internal static unsafe class KernelScratch
{
    [ThreadStatic] private static byte[]? t_codes;
    [ThreadStatic] private static byte[]? t_acts;
    [ThreadStatic] private static byte[]? t_lookup;

    /// <summary>At least <paramref name="bytes"/> bytes for unpacked codes, 64-byte aligned.</summary>
    public static byte* Codes(long bytes) => Aligned(ref t_codes, bytes);

    /// <summary>At least <paramref name="bytes"/> bytes for rearranged activations, 64-byte aligned.</summary>
    public static byte* Activations(long bytes) => Aligned(ref t_acts, bytes);

    /// <summary>At least <paramref name="bytes"/> bytes for lookup tables and their accumulators, 64-byte aligned.</summary>
    public static byte* Lookup(long bytes) => Aligned(ref t_lookup, bytes);

    private static byte* Aligned(ref byte[]? buffer, long bytes)
    {
        if (buffer is null || buffer.Length < bytes + 64)
            buffer = GC.AllocateUninitializedArray<byte>(checked((int)Math.Max(bytes + 64, 4096)), pinned: true);
        fixed (byte* p = buffer) // pinned array: the address stays valid after the fixed block
            return (byte*)(((nint)p + 63) & ~(nint)63);
    }
}
