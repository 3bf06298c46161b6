using System.Buffers.Binary;
using Tern.Gguf;
using Tern.Tensors;

namespace Tern.Dummy;

/// <summary>
/// The random weights of one ternary projection [<see cref="Cols"/> inputs → <see cref="Rows"/> outputs]: trits
/// t ∈ {−1, 0, +1} and one per-tensor scale, defined independently of the storage type so that I2_S, TQ2_0 and TQ1_0
/// files of the same spec hold exactly the same weights.
/// </summary>
/// <remarks>
/// <para><b>The trits.</b> Each row is cut into groups of 128 values. A group is 32 draws g_0 … g_31 from [0, 81), each
/// read as four base-3 digits g_m = 27·c0 + 9·c1 + 3·c2 + c3 (codes c = t + 1): draw m gives values m, m + 32, m + 64
/// and m + 96 of the group. Draws come four to a 64-bit SplitMix64 output (16 bits each, mapped to [0, 81) by
/// multiply-shift), rows in order, from a generator seeded with the spec's seed and the tensor name.</para>
/// <para><b>Why this shape.</b> It is exactly how I2_S and TQ2_0 pack 128 values into 32 bytes (byte m holds values m,
/// m+32, m+64, m+96; I2_S puts the first in the top bits, TQ2_0 in the low bits), so encoding a draw is one lookup in an
/// 81-entry table of valid bytes — no per-trit work for those two types. TQ1_0 decodes the draws to trits and packs
/// them 5 to a byte.</para>
/// <para><b>The scale.</b> s = F16(√(3 / 2K) · (0.75 + 0.5·u)), u uniform from the same generator before any trit:
/// about the scale that keeps the output of a K-input projection near unit RMS for unit-RMS input (a uniform trit
/// has E[t²] = 2/3), and exactly representable in F16 because TQ1_0 and TQ2_0 store F16 block scales.</para>
/// </remarks>
internal sealed class RandomTernaryTensor
{
    public const int GroupValues = 128;
    public const int GroupDraws = 32;

    // The 81 valid bytes of each 2-bit layout, indexed by draw, and the draw's four codes.
    private static readonly byte[] I2SBytes = new byte[81], TQ2Bytes = new byte[81];
    private static readonly sbyte[] DrawTrits = new sbyte[81 * 4];

    static RandomTernaryTensor()
    {
        for (int g = 0; g < 81; g++)
        {
            int c0 = g / 27, c1 = g / 9 % 3, c2 = g / 3 % 3, c3 = g % 3;
            I2SBytes[g] = (byte)(c0 << 6 | c1 << 4 | c2 << 2 | c3);
            TQ2Bytes[g] = (byte)(c0 | c1 << 2 | c2 << 4 | c3 << 6);
            DrawTrits[4 * g] = (sbyte)(c0 - 1);
            DrawTrits[4 * g + 1] = (sbyte)(c1 - 1);
            DrawTrits[4 * g + 2] = (sbyte)(c2 - 1);
            DrawTrits[4 * g + 3] = (sbyte)(c3 - 1);
        }
    }

    private readonly ulong _seed;

    public RandomTernaryTensor(ulong seed, string name, int rows, int cols)
    {
        if (rows < 1 || cols < 1 || cols % GroupValues != 0)
            throw new ArgumentException($"{name}: a random ternary tensor needs rows ≥ 1 and a positive multiple of {GroupValues} columns, not [{cols} → {rows}]");
        Name = name; Rows = rows; Cols = cols;
        _seed = seed;
        var rng = SplitMix64.ForName(seed, name);
        ScaleF16 = HalfConversion.F32ToF16(MathF.Sqrt(3f / (2f * cols)) * (0.75f + 0.5f * rng.NextFloat()));
        Scale = HalfConversion.F16ToF32(ScaleF16);
    }

    public string Name { get; }
    public int Rows { get; }
    public int Cols { get; }
    /// <summary>The per-tensor scale (an F16 value).</summary>
    public float Scale { get; }
    public ushort ScaleF16 { get; }

    /// <summary>A fresh generator positioned at the first trit draw.</summary>
    private SplitMix64 TritRng()
    {
        var rng = SplitMix64.ForName(_seed, Name);
        rng.Next(); // the scale's draw
        return rng;
    }

    /// <summary>Fills <paramref name="draws"/> (a multiple of 4 long) with the next draws in [0, 81).</summary>
    private static void NextDraws(ref SplitMix64 rng, Span<byte> draws)
    {
        for (int i = 0; i < draws.Length; i += 4)
        {
            ulong r = rng.Next();
            draws[i] = (byte)((r & 0xFFFF) * 81 >> 16);
            draws[i + 1] = (byte)((r >> 16 & 0xFFFF) * 81 >> 16);
            draws[i + 2] = (byte)((r >> 32 & 0xFFFF) * 81 >> 16);
            draws[i + 3] = (byte)((r >> 48) * 81 >> 16);
        }
    }

    /// <summary>Bytes of this tensor stored as <paramref name="type"/>.</summary>
    public long ByteSize(GgmlType type) => GgufWriter.ByteSizeOf(type, Cols, Rows);

    /// <summary>
    /// Streams the tensor in <paramref name="type"/> (I2_S, TQ2_0 or TQ1_0) to <paramref name="stream"/>, a chunk of rows
    /// (about <paramref name="chunkBytes"/> of output) at a time; <paramref name="written"/> gets each chunk's byte count.
    /// I2_S is written in <paramref name="i2sLayout"/> (rows are whole 32-byte chunks, so each chunk of rows converts alone).
    /// </summary>
    public void WriteTo(Stream stream, GgmlType type, int chunkBytes = 1 << 20, Action<long>? written = null, I2SBlockLayout i2sLayout = I2SBlockLayout.X86)
    {
        long rowBytes = ByteSize(type) - (type == GgmlType.I2_S ? I2S.TrailerBytes : 0);
        rowBytes /= Rows;
        int rowsPerChunk = (int)Math.Clamp(chunkBytes / rowBytes, 1, Rows);
        int drawsPerRow = Cols / GroupValues * GroupDraws;
        var draws = new byte[rowsPerChunk * drawsPerRow];
        var output = new byte[rowsPerChunk * rowBytes];
        var rng = TritRng();
        for (int r = 0; r < Rows; r += rowsPerChunk)
        {
            int n = Math.Min(rowsPerChunk, Rows - r);
            var d = draws.AsSpan(0, n * drawsPerRow);
            var o = output.AsSpan(0, (int)(n * rowBytes));
            NextDraws(ref rng, d);
            Encode(type, d, o);
            if (type == GgmlType.I2_S && i2sLayout == I2SBlockLayout.Arm) I2SArm.FromX86(o, o);
            stream.Write(o);
            written?.Invoke(o.Length);
        }
        if (type == GgmlType.I2_S)
        {
            Span<byte> trailer = stackalloc byte[I2S.TrailerBytes];
            trailer.Clear();
            BinaryPrimitives.WriteSingleLittleEndian(trailer, Scale);
            stream.Write(trailer);
            written?.Invoke(trailer.Length);
        }
    }

    /// <summary>Encodes whole rows' draws as <paramref name="type"/>; rows hold whole blocks of every type (checked by the spec).</summary>
    private void Encode(GgmlType type, ReadOnlySpan<byte> draws, Span<byte> dst)
    {
        switch (type)
        {
            case GgmlType.I2_S:
                // One I2_S block (128 values, 32 bytes) per group, and byte m of a group is draw m.
                for (int i = 0; i < draws.Length; i++) dst[i] = I2SBytes[draws[i]];
                break;
            case GgmlType.TQ2_0:
                // A block is two groups: qs[0..31] and qs[32..63] each pack one group the same way, low bits first.
                for (int b = 0, i = 0; i < draws.Length; b += TQ2_0.BlockBytes, i += 2 * GroupDraws)
                {
                    var block = dst.Slice(b, TQ2_0.BlockBytes);
                    for (int m = 0; m < 2 * GroupDraws; m++) block[m] = TQ2Bytes[draws[i + m]];
                    BinaryPrimitives.WriteUInt16LittleEndian(block[64..], ScaleF16);
                }
                break;
            case GgmlType.TQ1_0:
                Span<sbyte> trits = stackalloc sbyte[TQ1_0.BlockValues];
                for (int b = 0, i = 0; i < draws.Length; b += TQ1_0.BlockBytes, i += 2 * GroupDraws)
                {
                    DrawsToTrits(draws.Slice(i, 2 * GroupDraws), trits);
                    TQ1_0.EncodeBlock(trits, ScaleF16, dst.Slice(b, TQ1_0.BlockBytes));
                }
                break;
            default:
                throw new NotSupportedException($"{Name}: the dummy generator writes ternary weights as I2_S, TQ2_0 or TQ1_0, not {type}");
        }
    }

    /// <summary>The trits of whole groups: value 128·g + 32·l + m is digit l of draw 32·g + m.</summary>
    private static void DrawsToTrits(ReadOnlySpan<byte> draws, Span<sbyte> trits)
    {
        for (int g = 0; g < draws.Length / GroupDraws; g++)
            for (int m = 0; m < GroupDraws; m++)
            {
                int d = draws[g * GroupDraws + m] * 4;
                for (int l = 0; l < 4; l++) trits[g * GroupValues + 32 * l + m] = DrawTrits[d + l];
            }
    }

    /// <summary>The trits of one row, straight from the definition (for tests; regenerates the rows before it).</summary>
    public sbyte[] RowTrits(int row)
    {
        int drawsPerRow = Cols / GroupValues * GroupDraws;
        var rng = TritRng();
        var draws = new byte[drawsPerRow];
        for (int r = 0; r <= row; r++) NextDraws(ref rng, draws);
        var trits = new sbyte[Cols];
        DrawsToTrits(draws, trits);
        return trits;
    }
}
