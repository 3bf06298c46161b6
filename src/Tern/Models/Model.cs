using Tern.Gguf;
using Tern.Kernels;
using Tern.Models.Architectures;
using Tern.Models.Layers;

namespace Tern.Models;

/// <summary>
/// A loaded model: configuration, weight views into the memory-mapped GGUF file, and its architecture's forward pass.
/// Read-only after loading, so one instance serves any number of sequences (each with its own <see cref="Inference.KvCache"/>).
/// </summary>
public sealed class Model : IDisposable
{
    private Model(GgufFile file, ModelConfig config, ModelOptions options)
    {
        var kernel = options.Kernel ?? KernelRegistry.Best;
        File = file;
        Config = config;
        Kernel = kernel;
        var scheme = config.Kind == ArchitectureKind.BitLlama2c ? ActivationScheme.BitLlama2c : ActivationScheme.AbsMax;
        I2SLayout = I2SLayoutDetector.Decide(file, options.I2SLayout);
        var loader = new ModelLoader(file, kernel, scheme, options.TernaryFromFloat, I2SLayout.Layout);
        int dim = config.Dim, ff = config.FfnDim, qd = config.QDim, kvd = config.KvDim;
        bool subNorms = config.Kind is ArchitectureKind.BitNetB158 or ArchitectureKind.BitNet;
        bool blockNorms = config.Kind != ArchitectureKind.BitLlama2c;
        // 1bitLLM files may carry a scale tensor per projection; it multiplies that projection's output.
        float Scale(string n) => config.Kind == ArchitectureKind.BitNet ? loader.OptionalScalar(n + ".scale") : 1f;

        Layers = new LayerWeights[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            string p = $"blk.{l}.";
            Layers[l] = new LayerWeights
            {
                AttnNorm = blockNorms ? loader.NormWeights(p + "attn_norm.weight", dim) : null,
                Q = loader.Linear(p + "attn_q.weight", dim, qd, Scale(p + "attn_q")),
                K = loader.Linear(p + "attn_k.weight", dim, kvd, Scale(p + "attn_k")),
                V = loader.Linear(p + "attn_v.weight", dim, kvd, Scale(p + "attn_v")),
                AttnSubNorm = subNorms ? loader.NormWeights(p + "attn_sub_norm.weight", qd) : null,
                O = loader.Linear(p + "attn_output.weight", qd, dim, Scale(p + "attn_output")),
                FfnNorm = blockNorms ? loader.NormWeights(p + "ffn_norm.weight", dim) : null,
                Gate = loader.Linear(p + "ffn_gate.weight", dim, ff, Scale(p + "ffn_gate")),
                Up = loader.Linear(p + "ffn_up.weight", dim, ff, Scale(p + "ffn_up")),
                FfnSubNorm = subNorms ? loader.NormWeights(p + "ffn_sub_norm.weight", ff) : null,
                Down = loader.Linear(p + "ffn_down.weight", ff, dim, Scale(p + "ffn_down")),
            };
        }
        TokenEmbedding = loader.FloatMatrix("token_embd.weight", dim, config.VocabSize);
        OutputNorm = loader.NormWeights("output_norm.weight", dim);
        RopeFreqs = loader.OptionalNormWeights("rope_freqs.weight", config.RopeDim / 2);
        if (RopeFreqs is not null && RopeFreqs.Any(f => !(f > 0) || float.IsInfinity(f)))
            throw new InvalidDataException("rope_freqs.weight holds a factor that is not a positive finite number");
        // Tied embeddings unless the file has its own output matrix.
        Output = file.FindTensor("output.weight") is null
            ? new FloatLinear(TokenEmbedding)
            : loader.Linear("output.weight", dim, config.VocabSize);
        _pinned = loader.Pinned;
        CopiedBytes = loader.CopiedBytes;
        Forward = config.Kind switch
        {
            ArchitectureKind.BitNetB158 => new BitNetForward(FfnActivation.SquaredRelu),
            ArchitectureKind.BitNet => new BitNetForward(FfnActivation.Silu),
            ArchitectureKind.Llama => new LlamaForward(),
            ArchitectureKind.BitLlama2c => new BitLlama2cForward(),
            _ => throw new NotSupportedException(config.Kind.ToString()),
        };
    }

    private readonly List<byte[]> _pinned; // keeps load-time copies alive (their addresses are held by TernaryMatrix)

    public GgufFile File { get; }
    /// <summary>Bytes of weights copied at load (the rest is read in place from the mapping).</summary>
    public long CopiedBytes { get; }
    public ModelConfig Config { get; }
    public ITernaryKernel Kernel { get; }
    /// <summary>The I2_S layout the file was read as (ARM-layout tensors are repacked to x86 at load), and why.</summary>
    public I2SLayoutDecision I2SLayout { get; }
    public LayerWeights[] Layers { get; }
    public FloatMatrix TokenEmbedding { get; }   // [vocab][dim]
    public float[] OutputNorm { get; }           // [dim]
    /// <summary>LLaMA-3-style RoPE scaling: per frequency pair, the divisor of its angle (GGUF <c>rope_freqs.weight</c>); null = none.</summary>
    public float[]? RopeFreqs { get; }           // [rope_dim / 2]
    public Linear Output { get; }                // [dim → vocab]
    internal ArchitectureForward Forward { get; }

    /// <summary>Total bytes of weights read to generate one token.</summary>
    public long WeightBytesPerToken => Layers.Sum(l => l.Projections.Sum(p => p.WeightBytes)) + Output.WeightBytes;

    /// <summary>Opens and validates a GGUF model. Errors name the problem: <see cref="GgufFormatException"/> for bad files, <see cref="NotSupportedException"/> for unsupported content.</summary>
    public static Model Load(string path, ModelOptions? options = null)
    {
        var file = GgufFile.Open(path);
        try
        {
            var config = ModelConfig.FromGguf(file);
            return new Model(file, config, options ?? new ModelOptions());
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private TopKOutput? _topK;
    private readonly object _topKLock = new();

    /// <summary>
    /// The exact top-k output layer (an int8 screening copy of the F16 output matrix), built on first use with the
    /// caller's threads and then shared. Null when the output matrix is not F16.
    /// </summary>
    public TopKOutput? GetTopKOutput(Threading.WorkerPool pool)
    {
        if (Output is not FloatLinear { Weights.Type: GgmlType.F16 } f) return null;
        lock (_topKLock) return _topK ??= new TopKOutput(f, pool);
    }

    public void Dispose()
    {
        _topK?.Dispose();
        File.Dispose();
    }
}

/// <summary>How a model is loaded.</summary>
public sealed record ModelOptions
{
    /// <summary>The ternary kernel; null picks the best one this machine supports.</summary>
    public ITernaryKernel? Kernel { get; init; }

    /// <summary>
    /// Run float-stored projections whose values are all s·{−1, 0, +1} as ternary layers with int8 activations
    /// (W1.58A8), so a ternary model gives the same logits stored as F16/F32 as stored as I2_S/TQ2_0/TQ1_0. Off by
    /// default: float tensors are computed as stored, as llama.cpp and bitnet.cpp do.
    /// </summary>
    public bool TernaryFromFloat { get; init; }

    /// <summary>
    /// The I2_S block layout of the file (bitnet.cpp's x86 or ARM quantizer); null tells it from the weights
    /// (<see cref="I2SLayoutDetector"/>) and assumes x86 when they do not show it. See <see cref="Model.I2SLayout"/>.
    /// </summary>
    public Tensors.I2SBlockLayout? I2SLayout { get; init; }
}
