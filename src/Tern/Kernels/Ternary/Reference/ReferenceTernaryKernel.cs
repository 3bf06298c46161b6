using Tern.Gguf;
using Tern.Tensors;

namespace Tern.Kernels.Reference;

/// <summary>
/// The scalar reference: decode each weight row to trits with the layout's own decoder, then a plain integer dot
/// per token. Written for clarity; every fast kernel is tested bit-exactly against it.
/// </summary>
public sealed class ReferenceTernaryKernel : ITernaryKernel
{
    public static readonly ReferenceTernaryKernel Instance = new();

    public string Name => "reference";

    public bool Supports(TernaryMatrix w) => w.Type is GgmlType.I2_S or GgmlType.TQ2_0 or GgmlType.TQ1_0;

    public unsafe void Dots(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, Span<int> dots, int dotsStride)
    {
        int k = w.Cols;
        var trits = k <= 16384 ? stackalloc sbyte[k] : new sbyte[k];
        for (int r = row0; r < row1; r++)
        {
            DecodeRow(w, r, trits);
            for (int t = 0; t < n; t++)
            {
                var x = q.Slice(t * k, k);
                int sum = 0;
                for (int i = 0; i < k; i++) sum += trits[i] * x[i];
                dots[t * dotsStride + (r - row0)] = sum;
            }
        }
    }

    /// <summary>Row r of the matrix as trits in {−1, 0, +1}.</summary>
    public static unsafe void DecodeRow(TernaryMatrix w, int r, Span<sbyte> trits)
    {
        int k = w.Cols;
        switch (w.Type)
        {
            case GgmlType.I2_S:
                I2S.DecodeTrits(new ReadOnlySpan<byte>(w.Data + (long)r * k / 4, k / 4), 0, trits);
                break;
            case GgmlType.TQ2_0:
                DecodeBlocks(new ReadOnlySpan<byte>(w.Data + (long)r * (k / TQ2_0.BlockValues) * TQ2_0.BlockBytes, k / TQ2_0.BlockValues * TQ2_0.BlockBytes),
                    TQ2_0.BlockValues, TQ2_0.BlockBytes, trits, static (b, t) => TQ2_0.DecodeBlock(b, t, out _));
                break;
            case GgmlType.TQ1_0:
                DecodeBlocks(new ReadOnlySpan<byte>(w.Data + (long)r * (k / TQ1_0.BlockValues) * TQ1_0.BlockBytes, k / TQ1_0.BlockValues * TQ1_0.BlockBytes),
                    TQ1_0.BlockValues, TQ1_0.BlockBytes, trits, static (b, t) => TQ1_0.DecodeBlock(b, t, out _));
                break;
            default:
                throw new NotSupportedException($"{w.Name}: no reference decoder for {w.Type}");
        }
    }

    private delegate void BlockDecoder(ReadOnlySpan<byte> block, Span<sbyte> trits);

    private static void DecodeBlocks(ReadOnlySpan<byte> row, int blockValues, int blockBytes, Span<sbyte> trits, BlockDecoder decode)
    {
        for (int b = 0; b < trits.Length / blockValues; b++)
            decode(row.Slice(b * blockBytes, blockBytes), trits.Slice(b * blockValues, blockValues));
    }
}
