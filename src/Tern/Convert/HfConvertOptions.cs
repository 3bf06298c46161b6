using Tern.Download;
using Tern.Gguf;

namespace Tern.Conversion;

/// <summary>How <see cref="HfConverter"/> writes a checkpoint.</summary>
public sealed record HfConvertOptions
{
    /// <summary>Storage of the seven projections: I2_S (default; bitnet.cpp's), TQ2_0, TQ1_0, F16 or F32.</summary>
    public GgmlType WeightType { get; init; } = GgmlType.I2_S;
    /// <summary>Storage of token_embd and an untied output.weight: F16 (default), BF16, Q8_0 or F32. Norms are always F32.</summary>
    public GgmlType EmbeddingType { get; init; } = GgmlType.F16;
    /// <summary>Bytes of checkpoint tensors converted so far, of the total, with the rate.</summary>
    public IProgress<DownloadProgress>? Progress { get; init; }
}
