namespace Tern.Kernels;

/// <summary>
/// The numbers every ternary kernel is built around, in one place: bounds that keep int16 accumulation exact and the
/// memory sizes the drivers tile for. Constants, so the JIT folds them into the specialized drivers.
/// </summary>
internal static class KernelTuning
{
    /// <summary>
    /// <c>vpmaddubsw</c> results one int16 lane may accumulate before it is widened to int32: one result is
    /// c₁q₁ + c₂q₂ with c ≤ 3 (the unused code 3 included) and q ∈ [−128, 127], |result| ≤ 768, and
    /// 42 · 768 = 32 256 ≤ 32 767.
    /// </summary>
    public const int MaxAddsPerLane = 42;

    /// <summary>
    /// How far ahead (bytes, rounded up to whole multi-row tiles) the mat-vec prefetches each row: rows of 640–1728
    /// bytes are too short for the hardware prefetcher (spec/dotnet-performance.md: 8 KB ahead took one core from
    /// 8–10 to 25 GB/s).
    /// </summary>
    public const int MatVecPrefetchBytes = 8192;

    /// <summary>Target size of an unpacked code panel (1 byte per weight), sized for L2.</summary>
    public const int PanelBytes = 192 * 1024;

    /// <summary>Most rows in one unpacked panel.</summary>
    public const int MaxPanelRows = 64;
}
