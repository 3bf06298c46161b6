namespace Tern.Tensors;

/// <summary>How a ternary tensor stores its scales (w = scale · t).</summary>
public enum TernaryScaleKind
{
    /// <summary>One float32 scale for the whole tensor (I2_S).</summary>
    PerTensor,
    /// <summary>One float32 scale at the start of every row (IQ2_BN).</summary>
    PerRow,
    /// <summary>One F16 scale per block of 256 values within a row (TQ1_0, TQ2_0).</summary>
    PerBlock,
}
