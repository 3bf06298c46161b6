namespace Tern.Kernels;

/// <summary>
/// The core arithmetic of a mat-mat for <see cref="PanelMatMul"/>: a register tile of <see cref="Rows"/> rows of
/// unpacked codes (one byte per weight, row stride k) × <see cref="Tokens"/> tokens (activation stride k). Implemented
/// by structs so the driver is specialized per tile; the tile bodies themselves stay separate non-inlined methods
/// (spec/dotnet-performance.md: an inlined hot kernel re-jitted with its caller lost 3×).
/// </summary>
internal unsafe interface ICodeTile
{
    static abstract int Rows { get; }
    static abstract int Tokens { get; }

    /// <summary>
    /// Activation bytes per token block, all of whose tokens run over one panel before the next panel is unpacked
    /// (the block stays in L2); <see cref="int.MaxValue"/>: one block.
    /// </summary>
    static abstract int TokenBlockBytes { get; }

    /// <summary>Σ c·q of the tile: <c>f[Rows · token + row]</c>, tokens x, x + k, …</summary>
    static abstract void Full(byte* w, sbyte* x, int k, int* f);

    /// <summary>Σ c·q of the tile's rows against one token: <c>f[row]</c>.</summary>
    static abstract void One(byte* w, sbyte* x, int k, int* f);
}
