using Tern.Gguf;
using Tern.Models;
using Tern.Tensors;

namespace Tern.Dummy;

/// <summary>
/// The shape of a random-weight model for <see cref="DummyModelWriter"/>: benchmarks and tests that need a model of a
/// real model's size without its weights. Start from a <see cref="Preset"/> and change what you need with <c>with</c>.
/// </summary>
public sealed record DummyModelSpec
{
    /// <summary>general.architecture: "bitnet-b1.58" / "bitnet-25" (sub-norms, squared ReLU), "bitnet" (sub-norms, SiLU),
    /// "llama" (no sub-norms, SiLU) or "bitllama2c" (no learned norms in the blocks).</summary>
    public string Architecture { get; init; } = "bitnet-b1.58";
    public required int Layers { get; init; }
    public required int Dim { get; init; }
    public required int FfnDim { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int VocabSize { get; init; }
    public int ContextLength { get; init; } = 4096;
    public float RopeTheta { get; init; } = 500000;
    /// <summary>Storage of the seven projections: I2_S, TQ2_0 or TQ1_0. The weights are the same in all three.</summary>
    public GgmlType WeightType { get; init; } = GgmlType.I2_S;
    /// <summary>Block layout of I2_S weights: bitnet.cpp's x86 one (Tern's own) or its ARM one, for testing files quantized on ARM.</summary>
    public I2SBlockLayout I2SLayout { get; init; } = I2SBlockLayout.X86;
    /// <summary>Say the I2_S layout in the file (<see cref="I2SLayoutDetector.MetadataKey"/>); off writes a file like bitnet.cpp's, which says nothing.</summary>
    public bool WriteI2SLayoutKey { get; init; } = true;
    /// <summary>Storage of token_embd (also the tied output layer): F16, F32 or BF16.</summary>
    public GgmlType EmbeddingType { get; init; } = GgmlType.F16;
    public ulong Seed { get; init; } = 42;

    public int HeadDim => Dim / Heads;
    public int KvDim => KvHeads * HeadDim;

    public static IReadOnlyList<string> PresetNames { get; } = ["tiny", "large", "2b4t", "3b", "8b"];

    /// <summary>
    /// Named shapes (spec/architectures.md):
    /// <list type="bullet">
    /// <item>"tiny" — the bitnet.cpp oracle's model: bitnet-b1.58, dim 256, 4 layers, 4/2 heads, ffn 512, vocab 512.</item>
    /// <item>"large" — 1bitLLM bitnet_b1_58-large (0.7B): bitnet, 1536, 24 layers, 16/16 heads, ffn 4096, vocab 32002, θ 10000, context 2048.</item>
    /// <item>"2b4t" — microsoft/bitnet-b1.58-2B-4T: bitnet-b1.58, 2560, 30 layers, 20/5 heads, ffn 6912, vocab 128256, θ 500000.</item>
    /// <item>"3b" — 1bitLLM bitnet_b1_58-3B: bitnet, 3200, 26 layers, 32/32 heads, vocab 32002, θ 10000, context 2048, but
    /// ffn 8704 instead of the real 8640: 8640 is not a multiple of 128, and Tern's ternary types hold whole 128-value
    /// blocks per row. Its dim 3200 is not a multiple of 256 either, so "3b" exists in I2_S only.</item>
    /// <item>"8b" — HF1BitLLM Llama3-8B-1.58: llama, 4096, 32 layers, 32/8 heads, ffn 14336, vocab 128256, θ 500000, context 8192.</item>
    /// </list>
    /// Names are case-insensitive; an unknown name throws <see cref="ArgumentException"/> listing the known ones.
    /// </summary>
    public static DummyModelSpec Preset(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => new() { Architecture = "bitnet-b1.58", Dim = 256, Layers = 4, Heads = 4, KvHeads = 2, FfnDim = 512, VocabSize = 512 },
        "large" => new()
        {
            Architecture = "bitnet", Dim = 1536, Layers = 24, Heads = 16, KvHeads = 16, FfnDim = 4096, VocabSize = 32002,
            RopeTheta = 10000, ContextLength = 2048,
        },
        "2b4t" => new() { Architecture = "bitnet-b1.58", Dim = 2560, Layers = 30, Heads = 20, KvHeads = 5, FfnDim = 6912, VocabSize = 128256 },
        "3b" => new()
        {
            Architecture = "bitnet", Dim = 3200, Layers = 26, Heads = 32, KvHeads = 32, FfnDim = 8704, VocabSize = 32002,
            RopeTheta = 10000, ContextLength = 2048,
        },
        "8b" => new()
        {
            Architecture = "llama", Dim = 4096, Layers = 32, Heads = 32, KvHeads = 8, FfnDim = 14336, VocabSize = 128256,
            ContextLength = 8192,
        },
        _ => throw new ArgumentException($"unknown dummy model preset '{name}'; known presets: {string.Join(", ", PresetNames)}", nameof(name)),
    };

    public static IReadOnlyList<string> Architectures { get; } = ["bitnet-b1.58", "bitnet-25", "bitnet", "llama", ArchitectureNames.BitLlama2cName];

    /// <summary>Block length every projection's input width must be a multiple of, for a ternary type.</summary>
    public static int RowBlock(GgmlType weightType) => weightType switch
    {
        GgmlType.I2_S => 128,
        GgmlType.TQ2_0 or GgmlType.TQ1_0 => 256,
        _ => throw new ArgumentException($"weight type {weightType} is not one the dummy generator writes (I2_S, TQ2_0, TQ1_0)", nameof(WeightType)),
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first thing that would make the model unwritable or unloadable.</summary>
    public void Validate()
    {
        if (!Architectures.Contains(Architecture))
            throw new ArgumentException($"architecture '{Architecture}' is not one the dummy generator writes ({string.Join(", ", Architectures)})", nameof(Architecture));
        // The limits ModelConfig.FromGguf accepts.
        Range(nameof(Layers), Layers, 1, 4096);
        Range(nameof(Dim), Dim, 1, 1 << 16);
        Range(nameof(FfnDim), FfnDim, 1, 1 << 20);
        Range(nameof(Heads), Heads, 1, 1024);
        Range(nameof(KvHeads), KvHeads, 1, Heads);
        Range(nameof(VocabSize), VocabSize, 260, 1 << 24); // 260: the byte-level tokenizer's 256 bytes, one merge and 3 control tokens
        Range(nameof(ContextLength), ContextLength, 1, 1 << 24);
        if (Dim % Heads != 0) throw new ArgumentException($"Dim {Dim} is not a multiple of Heads {Heads}", nameof(Dim));
        if (Heads % KvHeads != 0) throw new ArgumentException($"Heads {Heads} is not a multiple of KvHeads {KvHeads}", nameof(KvHeads));
        if (HeadDim % 2 != 0) throw new ArgumentException($"head dimension Dim / Heads = {HeadDim} is odd; RoPE rotates pairs", nameof(Heads));
        if (!(float.IsFinite(RopeTheta) && RopeTheta > 1))
            throw new ArgumentException($"RopeTheta {RopeTheta} must be a finite number greater than 1", nameof(RopeTheta));

        int block = RowBlock(WeightType);
        // Inputs of the projections: Dim (q, k, v, gate, up; attn_output's input Heads·HeadDim = Dim) and FfnDim (down).
        if (Dim % block != 0)
            throw new ArgumentException($"Dim {Dim} is not a multiple of {block}: {WeightType} rows are whole blocks of {block} values{Suggest(GgmlType.I2_S, Dim)}", nameof(Dim));
        if (FfnDim % block != 0)
            throw new ArgumentException($"FfnDim {FfnDim} is not a multiple of {block}: {WeightType} rows are whole blocks of {block} values{Suggest(GgmlType.I2_S, FfnDim)}", nameof(FfnDim));
        if (EmbeddingType is not (GgmlType.F16 or GgmlType.F32 or GgmlType.BF16))
            throw new ArgumentException($"embedding type {EmbeddingType} is not one the dummy generator writes (F16, F32, BF16)", nameof(EmbeddingType));
    }

    private string Suggest(GgmlType alternative, int k) =>
        WeightType != alternative && k % RowBlock(alternative) == 0 ? $" ({alternative} would fit)" : "";

    private static void Range(string name, int value, int min, int max)
    {
        if (value < min || value > max) throw new ArgumentException($"{name} = {value} is outside {min}..{max}", name);
    }
}
