namespace Tern.Conversion;

/// <summary>
/// What a packed projection's <c>weight_scale</c> means, from <c>quantization_config.linear_class</c> (spec/converter.md):
/// transformers' AutoBitLinear computes <c>linear(x, q) · weight_scale</c>, so W = q × weight_scale (≈ mean|W|, ≪ 1);
/// its BitLinear (the default) computes <c>linear(x_q, q) / (s_x · weight_scale)</c>, so W = q / weight_scale (≫ 1).
/// Choosing wrong scales every projection by weight_scale² — hundreds of times off — so a value on the wrong side of 1
/// for the declared class is refused rather than guessed.
/// </summary>
public enum WeightScaleConvention
{
    /// <summary>W = q × weight_scale (linear_class "autobitlinear").</summary>
    Multiply,
    /// <summary>W = q / weight_scale (linear_class "bitlinear", or absent).</summary>
    Divide,
}

public static class WeightScaleConventions
{
    public static WeightScaleConvention FromLinearClass(string? linearClass) => linearClass switch
    {
        "autobitlinear" => WeightScaleConvention.Multiply,
        null or "bitlinear" => WeightScaleConvention.Divide,
        _ => throw new HfCheckpointException(
            $"config.json: quantization_config.linear_class '{linearClass}' is unknown, so the meaning of weight_scale (W = q × s for autobitlinear, W = q / s for bitlinear) cannot be told"),
    };

    /// <summary>The per-tensor scale s of W = s · q, checked against the magnitude the convention implies.</summary>
    public static float TernaryScale(this WeightScaleConvention convention, double weightScale, string scaleName)
    {
        if (!double.IsFinite(weightScale) || weightScale <= 0)
            throw new HfCheckpointException($"{scaleName} = {weightScale}: a weight scale must be a positive finite number");
        if (convention == WeightScaleConvention.Multiply && weightScale > 1)
            throw new HfCheckpointException(
                $"{scaleName} = {weightScale}, but linear_class autobitlinear means W = q × weight_scale, which would make every weight {weightScale} in magnitude; " +
                "a value above 1 is a BitLinear scale (W = q / weight_scale). The config contradicts the weights: set quantization_config.linear_class to \"bitlinear\" if that is what they are");
        if (convention == WeightScaleConvention.Divide && weightScale < 1)
            throw new HfCheckpointException(
                $"{scaleName} = {weightScale}, but linear_class bitlinear (the default when none is given) means W = q / weight_scale, which would make every weight {1 / weightScale} in magnitude; " +
                "a value below 1 is an AutoBitLinear scale (W = q × weight_scale). The config contradicts the weights: set quantization_config.linear_class to \"autobitlinear\" if that is what they are");
        // Division in double, rounded once: for a float32 weight_scale the same as 1f / weight_scale (both correctly rounded).
        return (float)(convention == WeightScaleConvention.Multiply ? weightScale : 1 / weightScale);
    }
}
