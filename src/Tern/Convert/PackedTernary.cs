namespace Tern.Conversion;

/// <summary>
/// transformers' packed ternary projections (<c>pack_weights</c> / <c>unpack_weights</c> of integrations/bitnet.py):
/// a U8 tensor <c>[out/4, in]</c> for a weight <c>[out, in]</c>, code c = q + 1 ∈ {0, 1, 2}.
/// </summary>
/// <remarks>
/// The four quarters of the output axis are stacked in the bit pairs, not interleaved rows:
/// <code>
/// byte [i, j], bits 2k..2k+1 (k = 0 least significant)  =  code of element [k · out/4 + i, j]
/// </code>
/// so packed row i holds output rows i, out/4 + i, out/2 + i and 3·out/4 + i.
/// </remarks>
public static class PackedTernary
{
    /// <summary>Unpacks into <paramref name="trits"/> [rows][cols] row-major; a code 3 is not a ternary weight and throws, naming the tensor and element.</summary>
    public static void Unpack(ReadOnlySpan<byte> packed, int rows, int cols, Span<sbyte> trits, string name)
    {
        int quarter = rows / 4;
        if (rows % 4 != 0 || packed.Length != (long)quarter * cols || trits.Length != (long)rows * cols)
            throw new ArgumentException($"{name}: {packed.Length} packed bytes and {trits.Length} trits do not fit [{rows}, {cols}]");
        for (int i = 0; i < quarter; i++)
        {
            var src = packed.Slice(i * cols, cols);
            for (int k = 0; k < 4; k++)
            {
                var dst = trits.Slice((k * quarter + i) * cols, cols);
                int shift = 2 * k;
                for (int j = 0; j < cols; j++)
                {
                    int code = src[j] >> shift & 3;
                    if (code == 3)
                        throw new HfCheckpointException(
                            $"{name} is not ternary: byte [{i}, {j}] holds code 3 in bits {shift}..{shift + 1} (element [{k * quarter + i}, {j}]); packed codes are 0, 1, 2 for −1, 0, +1");
                    dst[j] = (sbyte)(code - 1);
                }
            }
        }
    }

    /// <summary>The inverse of <see cref="Unpack"/> (for writing checkpoints).</summary>
    public static void Pack(ReadOnlySpan<sbyte> trits, int rows, int cols, Span<byte> packed)
    {
        int quarter = rows / 4;
        if (rows % 4 != 0 || packed.Length != (long)quarter * cols || trits.Length != (long)rows * cols)
            throw new ArgumentException($"{packed.Length} packed bytes and {trits.Length} trits do not fit [{rows}, {cols}]");
        packed.Clear();
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < quarter; i++)
            {
                var src = trits.Slice((k * quarter + i) * cols, cols);
                var dst = packed.Slice(i * cols, cols);
                for (int j = 0; j < cols; j++) dst[j] |= (byte)((src[j] + 1) << (2 * k));
            }
    }
}
