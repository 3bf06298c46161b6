namespace Tern.Models.Layers;

/// <summary>How a ternary layer quantizes its input to int8 and scales the integer result back.</summary>
public enum ActivationScheme
{
    /// <summary>
    /// W1.58A8 as bitnet.cpp computes it (spec/activations.md): a = 127 / max(max|x|, 1e-5),
    /// q = round-half-even(x·a) clamped to [−128, 127], y = (float)D / a · s_w.
    /// </summary>
    AbsMax,
    /// <summary>
    /// bitllama2.c's runner: s = max|x| / 127 (computed in double), q = round-half-away(x · (1/s)),
    /// y = D · (s_w · s). The same integer dot, a different float rescale.
    /// </summary>
    BitLlama2c,
}
