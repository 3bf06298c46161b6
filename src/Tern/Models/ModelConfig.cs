using Tern.Gguf;

namespace Tern.Models;

/// <summary>Hyper-parameters of a model, read from the `{arch}.*` GGUF metadata keys.</summary>
public sealed class ModelConfig
{
    public required string ArchitectureName { get; init; }
    public required ArchitectureKind Kind { get; init; }
    public required int Dim { get; init; }             // embedding_length
    public required int Layers { get; init; }          // block_count
    public required int Heads { get; init; }           // attention.head_count
    public required int KvHeads { get; init; }         // attention.head_count_kv
    public required int HeadDim { get; init; }         // Dim / Heads unless key_length says otherwise
    public required int FfnDim { get; init; }          // feed_forward_length
    public required int VocabSize { get; init; }
    public required int ContextLength { get; init; }   // the length the model was trained for
    public required float RmsEps { get; init; }
    public required float RopeTheta { get; init; }
    public required int RopeDim { get; init; }         // rope.dimension_count (≤ HeadDim)

    public int QDim => Heads * HeadDim;
    public int KvDim => KvHeads * HeadDim;

    public static ModelConfig FromGguf(GgufFile f)
    {
        string arch = f.Architecture;
        var kind = ArchitectureNames.FromName(arch);
        string p = arch + ".";
        int dim = f.GetInt32(p + "embedding_length", min: 1, max: 1 << 16);
        int heads = f.GetInt32(p + "attention.head_count", min: 1, max: 1024);
        int kvHeads = f.GetInt32(p + "attention.head_count_kv", heads, min: 1, max: heads);
        if (heads % kvHeads != 0) throw new GgufFormatException($"head_count {heads} is not a multiple of head_count_kv {kvHeads}");
        int headDim = f.GetInt32(p + "attention.key_length", dim / heads, min: 2, max: 1 << 12);
        if (headDim % 2 != 0) throw new GgufFormatException($"head dimension {headDim} must be even");
        int vocab = f.GetInt32(p + "vocab_size", f.GetArray<string>("tokenizer.ggml.tokens")?.Length ?? 0, min: 1, max: 1 << 24);
        int ctx = f.GetInt32(p + "context_length", 4096, min: 1, max: 1 << 24);
        var cfg = new ModelConfig
        {
            ArchitectureName = arch,
            Kind = kind,
            Dim = dim,
            Layers = f.GetInt32(p + "block_count", min: 1, max: 4096),
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            FfnDim = f.GetInt32(p + "feed_forward_length", min: 1, max: 1 << 20),
            VocabSize = vocab,
            ContextLength = ctx,
            RmsEps = f.GetFloat(p + "attention.layer_norm_rms_epsilon") ?? 1e-5f,
            RopeTheta = f.GetFloat(p + "rope.freq_base") ?? (kind == ArchitectureKind.BitNetB158 ? 500000f : 10000f),
            RopeDim = f.GetInt32(p + "rope.dimension_count", headDim, min: 2, max: headDim),
        };
        return cfg;
    }

    public override string ToString() =>
        $"{ArchitectureName}: dim {Dim}, {Layers} layers, {Heads}/{KvHeads} heads × {HeadDim}, ffn {FfnDim}, vocab {VocabSize}, ctx {ContextLength}";
}
