namespace Tern.Tensors;

/// <summary>
/// Which of bitnet.cpp's two I2_S block layouts a file holds. Both store the same 2-bit codes and the same trailer;
/// they order the values inside each aligned 32-byte chunk differently (spec/ternary-types.md):
/// <code>
/// X86  128-value blocks of 32 bytes: value j of a block at byte j mod 32, shift 6 − 2·⌊j/32⌋ (<see cref="I2S"/>)
/// Arm   64-value blocks of 16 bytes: value j of a block at byte j mod 16, shift 6 − 2·⌊j/16⌋ (<see cref="I2SArm"/>)
/// </code>
/// bitnet.cpp picks the layout by the machine that quantizes (src/ggml-bitnet-mad.cpp, QK_I2_S 128 on x86, 64 on
/// ARM NEON since commit 112f853) and writes nothing in the file that says which.
/// </summary>
public enum I2SBlockLayout
{
    /// <summary>128-value blocks: bitnet.cpp on x86, on every machine before commit 112f853, and its Python converter.</summary>
    X86,
    /// <summary>64-value blocks: bitnet.cpp's <c>llama-quantize</c> built for ARM (NEON) since commit 112f853 (November 2025).</summary>
    Arm,
}
