using System.Runtime.Intrinsics;
using Tern.Inference;

namespace Tern.Models.Architectures;

/// <summary>One architecture's transformer block, written out with the operations of <see cref="ForwardState"/>.</summary>
internal abstract class ArchitectureForward
{
    /// <summary>Runs block <paramref name="layer"/> on the residual stream <see cref="ForwardState.X"/> of the whole batch.</summary>
    public abstract void Layer(ForwardState s, LayerWeights w, int layer);
}

public enum FfnActivation
{
    /// <summary>relu(gate)² · up — BitNet b1.58 2B-4T.</summary>
    SquaredRelu,
    /// <summary>silu(gate) · up, silu(x) = x / (1 + e^−x) — 1bitLLM, LLaMA.</summary>
    Silu,
}

internal static class Ffn
{
    /// <summary>gate ← act(gate) · up, element-wise.</summary>
    public static void Apply(FfnActivation act, Span<float> gate, ReadOnlySpan<float> up)
    {
        long t = Inference.OpProfile.Start();
        ApplyCore(act, gate, up);
        Inference.OpProfile.Stop("ffn-activation", t);
    }

    internal static void ApplyCore(FfnActivation act, Span<float> gate, ReadOnlySpan<float> up)
    {
        if (act == FfnActivation.SquaredRelu)
        {
            int i = 0, n = gate.Length;
            if (up.Length < n) throw new ArgumentException("up shorter than gate");
            ref float pg = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(gate);
            ref float pu = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(up);
            // max(g, 0)² · u lane by lane, the same IEEE operations as the scalar loop below.
            if (Vector512.IsHardwareAccelerated)
                for (; i <= n - 16; i += 16)
                {
                    var r = Vector512.Max(Vector512.LoadUnsafe(ref pg, (nuint)i), default);
                    (r * r * Vector512.LoadUnsafe(ref pu, (nuint)i)).StoreUnsafe(ref pg, (nuint)i);
                }
            if (Vector256.IsHardwareAccelerated)
                for (; i <= n - 8; i += 8)
                {
                    var r = Vector256.Max(Vector256.LoadUnsafe(ref pg, (nuint)i), default);
                    (r * r * Vector256.LoadUnsafe(ref pu, (nuint)i)).StoreUnsafe(ref pg, (nuint)i);
                }
            for (; i < gate.Length; i++)
            {
                float r = MathF.Max(gate[i], 0f);
                gate[i] = r * r * up[i];
            }
        }
        else
        {
            for (int i = 0; i < gate.Length; i++)
            {
                float g = gate[i];
                gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
            }
        }
    }
}
