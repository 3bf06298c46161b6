using System.Text.Json;
using Tern.Models;

namespace Tern.Conversion;

/// <summary>
/// What the converter needs from a checkpoint's <c>config.json</c> (transformers' names), checked for the ranges Tern
/// loads, and the GGUF architecture it becomes (spec/converter.md).
/// </summary>
public sealed record HfConfig
{
    /// <summary>The transformers class in <c>architectures[0]</c>: BitNetForCausalLM, BitnetForCausalLM or LlamaForCausalLM.</summary>
    public required string HfArchitecture { get; init; }
    public required ArchitectureKind Kind { get; init; }
    public required int Dim { get; init; }
    public required int FfnDim { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public required int ContextLength { get; init; }
    public required float RmsEps { get; init; }
    public required float RopeTheta { get; init; }
    public required bool TiedEmbeddings { get; init; }
    public int? BosId { get; init; }
    public int? EosId { get; init; }
    /// <summary>quantization_config.linear_class ("autobitlinear", "bitlinear"), null when absent.</summary>
    public string? LinearClass { get; init; }
    /// <summary>quantization_config.quantization_mode: "offline" (weights stored quantized) or "online" (master weights), null when absent.</summary>
    public string? QuantizationMode { get; init; }
    /// <summary>rope_scaling of type llama3, which GGUF stores as a rope_freqs tensor; null otherwise.</summary>
    public Llama3RopeScaling? Llama3Rope { get; init; }

    public int QDim => Heads * HeadDim;
    public int KvDim => KvHeads * HeadDim;

    /// <summary>The GGUF general.architecture Tern writes for <see cref="Kind"/>.</summary>
    public string GgufArchitecture => Kind switch
    {
        ArchitectureKind.BitNetB158 => "bitnet-b1.58",
        ArchitectureKind.BitNet => "bitnet",
        ArchitectureKind.Llama => "llama",
        _ => throw new InvalidOperationException(Kind.ToString()),
    };

    public const string FileName = "config.json";

    public static HfConfig Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        using var doc = HfJson.Read(path);
        var c = doc.RootElement;
        string arch = c.Get("architectures") is { ValueKind: JsonValueKind.Array } a && a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.String
            ? a[0].GetString()!
            : throw new HfCheckpointException($"{path}: no \"architectures\" list saying which model class this is");
        var q = c.Get("quantization_config");
        string? quantMethod = q?.GetString("quant_method", path);
        var kind = arch switch
        {
            "BitNetForCausalLM" => ArchitectureKind.BitNetB158,
            "BitnetForCausalLM" => ArchitectureKind.BitNet,
            "LlamaForCausalLM" when quantMethod == "bitnet" => ArchitectureKind.Llama,
            "LlamaForCausalLM" => throw new HfCheckpointException(
                $"{path}: a LlamaForCausalLM without quantization_config.quant_method \"bitnet\" is not a ternary model; Tern converts BitNet checkpoints only"),
            _ => throw new HfCheckpointException(
                $"{path}: unsupported architecture '{arch}' (Tern converts BitNetForCausalLM, BitnetForCausalLM and LlamaForCausalLM with quant_method bitnet)"),
        };
        if (kind == ArchitectureKind.Llama && c.GetBool("use_rms_norm", path) == true)
            throw new HfCheckpointException($"{path}: use_rms_norm (a weightless RMSNorm before each BitLinear, Falcon-E) is not supported by Tern's llama graph");
        string? act = c.GetString("hidden_act", path);
        string expectedAct = kind == ArchitectureKind.BitNetB158 ? "relu2" : "silu";
        if (act is not null && act != expectedAct)
            throw new HfCheckpointException($"{path}: hidden_act '{act}', but {arch} runs {expectedAct}");

        int Required(string name, int min, int max) => c.GetInt(name, path, min, max) ?? throw new HfCheckpointException($"{path}: missing \"{name}\"");
        int dim = Required("hidden_size", 1, 1 << 16);
        int heads = Required("num_attention_heads", 1, 1024);
        int kvHeads = c.GetInt("num_key_value_heads", path, 1, heads) ?? heads;
        if (heads % kvHeads != 0) throw new HfCheckpointException($"{path}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        int headDim = c.GetInt("head_dim", path, 2, 1 << 12) ?? (dim % heads == 0 ? dim / heads : throw new HfCheckpointException($"{path}: hidden_size {dim} is not a multiple of num_attention_heads {heads}"));
        if (headDim % 2 != 0) throw new HfCheckpointException($"{path}: head dimension {headDim} is odd; RoPE rotates pairs");

        string? linearClass = q?.GetString("linear_class", path);
        string? mode = q?.GetString("quantization_mode", path);
        if (mode is not (null or "offline" or "online"))
            throw new HfCheckpointException($"{path}: quantization_config.quantization_mode '{mode}' is neither offline nor online");

        return new HfConfig
        {
            HfArchitecture = arch,
            Kind = kind,
            Dim = dim,
            FfnDim = Required("intermediate_size", 1, 1 << 20),
            Layers = Required("num_hidden_layers", 1, 4096),
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = Required("vocab_size", 1, 1 << 24),
            ContextLength = c.GetInt("max_position_embeddings", path, 1, 1 << 24) ?? 4096,
            RmsEps = (float)(c.GetDouble("rms_norm_eps", path) ?? 1e-5),
            RopeTheta = (float)(c.GetDouble("rope_theta", path) ?? 10000),
            TiedEmbeddings = c.GetBool("tie_word_embeddings", path) ?? kind == ArchitectureKind.BitNetB158,
            BosId = c.GetFirstId("bos_token_id", path),
            EosId = c.GetFirstId("eos_token_id", path),
            LinearClass = linearClass,
            QuantizationMode = mode,
            Llama3Rope = Llama3RopeScaling.Read(c, path),
        };
    }
}

/// <summary>transformers' rope_scaling {"rope_type": "llama3", factor, low_freq_factor, high_freq_factor, original_max_position_embeddings}.</summary>
public sealed record Llama3RopeScaling(float Factor, float LowFreqFactor, float HighFreqFactor, int OriginalContext)
{
    public static Llama3RopeScaling? Read(JsonElement config, string path)
    {
        if (config.Get("rope_scaling") is not { ValueKind: JsonValueKind.Object } r) return null;
        string? type = r.GetString("rope_type", path) ?? r.GetString("type", path);
        if (type is null or "default") return null;
        if (type != "llama3")
            throw new HfCheckpointException($"{path}: rope_scaling type '{type}' is not supported (Tern converts llama3 scaling only)");
        return new Llama3RopeScaling(
            (float)(r.GetDouble("factor", path) ?? 8),
            (float)(r.GetDouble("low_freq_factor", path) ?? 1),
            (float)(r.GetDouble("high_freq_factor", path) ?? 4),
            r.GetInt("original_max_position_embeddings", path, 1) ?? 8192);
    }

    /// <summary>
    /// The per-frequency divisors GGUF stores as <c>rope_freqs.weight</c> [head_dim / 2] (Meta's llama3 rule): for the
    /// base frequency θ^(−2i/d) of wavelength λ = 2π/f, 1 when λ is shorter than original/high_freq_factor,
    /// <see cref="Factor"/> when longer than original/low_freq_factor, and in between
    /// 1 / ((1 − t)/factor + t) with t = (original/λ − low) / (high − low).
    /// </summary>
    public float[] RopeFreqFactors(float theta, int headDim)
    {
        var result = new float[headDim / 2];
        double lowWavelen = OriginalContext / LowFreqFactor, highWavelen = OriginalContext / HighFreqFactor;
        for (int i = 0; i < result.Length; i++)
        {
            double freq = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) result[i] = 1;
            else if (wavelen > lowWavelen) result[i] = Factor;
            else
            {
                double t = (OriginalContext / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                result[i] = (float)(1 / ((1 - t) / Factor + t));
            }
        }
        return result;
    }
}
