namespace Tern.Models;

/// <summary>The model graphs Tern runs (spec/architectures.md). Each has its own forward pass in Models/Architectures.</summary>
public enum ArchitectureKind
{
    /// <summary>microsoft/bitnet-b1.58-2B-4T: GGUF names "bitnet-b1.58" and "bitnet-25". Sub-norms, squared-ReLU FFN, NEOX RoPE.</summary>
    BitNetB158,
    /// <summary>1bitLLM bitnet_b1_58 (GGUF "bitnet"): sub-norms, SiLU-gated FFN, optional per-matmul scale tensors.</summary>
    BitNet,
    /// <summary>LLaMA graph with ternary projections (Llama3-8B-1.58, Falcon3-1.58bit): no sub-norms, SiLU FFN, adjacent-pair RoPE.</summary>
    Llama,
    /// <summary>bitllama2.c models imported by `tern convert` (GGUF "bitllama2c"): parameter-free norm before every ternary linear.</summary>
    BitLlama2c,
}

public static class ArchitectureNames
{
    /// <summary>Maps a general.architecture string to the graph Tern runs; unknown names are refused by name.</summary>
    public static ArchitectureKind FromName(string name) => name switch
    {
        "bitnet-b1.58" or "bitnet-25" => ArchitectureKind.BitNetB158,
        "bitnet" => ArchitectureKind.BitNet,
        "llama" => ArchitectureKind.Llama,
        BitLlama2cName => ArchitectureKind.BitLlama2c,
        _ => throw new NotSupportedException(
            $"unsupported architecture '{name}' (Tern runs bitnet-b1.58, bitnet-25, bitnet, llama with ternary weights, and {BitLlama2cName})"),
    };

    public const string BitLlama2cName = "bitllama2c";
}
