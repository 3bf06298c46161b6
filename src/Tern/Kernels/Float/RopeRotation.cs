using System.Runtime.Intrinsics;

namespace Tern.Kernels;

/// <summary>The rotation of rotary position embedding, applied to every head of a row with precomputed cos/sin of its angles.</summary>
internal static class RopeRotation
{
    /// <summary>Rotates each pair of every head of <paramref name="row"/> (heads × hd floats) by the angle whose cos/sin are given per pair.</summary>
    public static void Rotate(Span<float> row, int heads, int hd, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool neox)
    {
        int half = cos.Length;
        for (int h = 0; h < heads; h++)
        {
            var v = row.Slice(h * hd, hd);
            int i = 0;
            if (neox && Vector256.IsHardwareAccelerated)
            {
                // Pairs (i, i + n/2) are two contiguous halves: x0·cos − x1·sin and x0·sin + x1·cos lane by lane,
                // the same rounded products and sums as the scalar loop (no fused multiply-add).
                for (; i <= half - 8; i += 8)
                {
                    var x0 = Vector256.Create<float>(v.Slice(i, 8));
                    var x1 = Vector256.Create<float>(v.Slice(i + half, 8));
                    var vc = Vector256.Create<float>(cos.Slice(i, 8));
                    var vs = Vector256.Create<float>(sin.Slice(i, 8));
                    (x0 * vc - x1 * vs).CopyTo(v.Slice(i, 8));
                    (x0 * vs + x1 * vc).CopyTo(v.Slice(i + half, 8));
                }
            }
            for (; i < half; i++)
            {
                // NEOX pairs dims (i, i + n/2); the "normal" style pairs adjacent dims (2i, 2i + 1).
                int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
                float x0 = v[a], x1 = v[b];
                v[a] = x0 * cos[i] - x1 * sin[i];
                v[b] = x0 * sin[i] + x1 * cos[i];
            }
        }
    }
}
