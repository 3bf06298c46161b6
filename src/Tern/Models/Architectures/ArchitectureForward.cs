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
            int i = 0;
            if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
            {
                for (; i <= gate.Length - 8; i += 8)
                {
                    var r = System.Runtime.Intrinsics.Vector256.Max(System.Runtime.Intrinsics.Vector256.Create<float>(gate.Slice(i, 8)), default);
                    (r * r * System.Runtime.Intrinsics.Vector256.Create(up.Slice(i, 8))).CopyTo(gate.Slice(i, 8));
                }
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
