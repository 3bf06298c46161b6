namespace Tern.Dummy;

/// <summary>How <see cref="DummyHfCheckpointWriter"/> stores a dummy model's projections.</summary>
public enum DummyHfWeights
{
    /// <summary>U8 packed codes with a one-value F32 weight_scale (quantization_mode offline), as microsoft/bitnet-b1.58-2B-4T.</summary>
    Packed,
    /// <summary>F32 master weights that the absmean rule ternarizes back to the same trits and scale (quantization_mode online).</summary>
    Master,
}

/// <summary>The Hugging Face layout options of a dummy checkpoint.</summary>
public sealed record DummyHfOptions
{
    public DummyHfWeights Weights { get; init; } = DummyHfWeights.Packed;
    /// <summary>quantization_config.linear_class: "autobitlinear" (weight_scale = s) or "bitlinear" (weight_scale = 1/s).</summary>
    public string LinearClass { get; init; } = "autobitlinear";
    /// <summary>1 writes model.safetensors; more splits the tensors over that many shards with model.safetensors.index.json.</summary>
    public int Shards { get; init; } = 1;
    /// <summary>Write tokenizer.json merges as ["left", "right"] pairs (newer tokenizers) instead of "left right" strings.</summary>
    public bool MergesAsPairs { get; init; }
}
