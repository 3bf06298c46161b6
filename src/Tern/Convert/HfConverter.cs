using System.Diagnostics;
using Tern.Download;
using Tern.Gguf;
using Tern.Models;
using Tern.Safetensors;
using Tern.Tokenizers;

namespace Tern.Conversion;

/// <summary>
/// Converts a Hugging Face BitNet checkpoint directory (config.json, safetensors weights, tokenizer files) into a GGUF
/// file Tern loads and bitnet.cpp reads (spec/converter.md): BitNetForCausalLM → <c>bitnet-b1.58</c>,
/// BitnetForCausalLM → <c>bitnet</c>, LlamaForCausalLM with quant_method bitnet → <c>llama</c>.
/// </summary>
/// <remarks>
/// <para>Everything that can be checked without reading weights is checked before the output is opened: the config,
/// every safetensors header, that each tensor the architecture needs is present with the config's shape, that no
/// tensor is left unexplained, the tokenizer, and that the chosen types fit the shapes. Weights are then read one tensor
/// at a time from the memory-mapped shards (each mapping released before the next), so memory holds about one tensor.</para>
/// <para>The output is written to a temporary file beside it and renamed at the end (<see cref="GgufWriter.WriteTo(string)"/>):
/// a failure part-way — a weight that is not ternary, a contradicting weight_scale — leaves no file.</para>
/// </remarks>
public static class HfConverter
{
    /// <summary>Bytes of a float tensor mapped at once.</summary>
    private const long WindowBytes = 32 << 20;

    /// <summary>True when <paramref name="path"/> is a directory with a config.json.</summary>
    public static bool IsCheckpointDirectory(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, HfConfig.FileName));

    public static void Convert(string directory, string outputPath, HfConvertOptions? options = null)
    {
        options ??= new HfConvertOptions();
        var config = HfConfig.Read(directory);
        CheckTypes(config, options);
        var (tokenizer, chatTemplate) = HfTokenizerReader.Read(directory, config);

        using var ckpt = SafetensorsCheckpoint.Open(directory);
        var plans = HfTensorMap.For(config, ckpt.Find("lm_head.weight") is not null);
        var sources = plans.Select(p => Source(ckpt, p)).ToArray();
        CheckNothingLeftOver(ckpt, plans, config);

        var w = Metadata(config, options, Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)));
        foreach (var (key, value) in tokenizer.ToGgufMetadata()) w.Add(key, value);
        if (chatTemplate is not null) w.Add(TokenizerGgufKeys.ChatTemplate, chatTemplate);

        long total = sources.Sum(s => s.ByteLength + (ckpt.Find(HfTensorMap.WeightScaleName(s.Name))?.ByteLength ?? 0)), done = 0;
        var clock = Stopwatch.StartNew();
        var reader = new ProjectionReader(ckpt, config);
        for (int i = 0; i < plans.Count; i++)
        {
            var (plan, src) = (plans[i], sources[i]);
            var type = plan.Role switch
            {
                HfTensorRole.Projection => options.WeightType,
                HfTensorRole.Norm => GgmlType.F32,
                _ => options.EmbeddingType,
            };
            w.AddTensor(plan.GgufName, type, plan.GgufDims, s =>
            {
                if (plan.Role == HfTensorRole.Projection)
                {
                    var (trits, scale) = reader.Read(plan, src);
                    ProjectionEncoder.Write(s, type, trits, plan.Rows, plan.Cols, scale);
                }
                else
                {
                    // A window of rows at a time: the embedding is the largest tensor (656 MB in 2B-4T), and only one
                    // window of it is mapped at once.
                    long rowBytes = (long)plan.Cols * SafetensorsDtypes.SizeOf(src.Dtype);
                    int windowRows = (int)Math.Clamp(WindowBytes / rowBytes, 1, plan.Rows);
                    for (int r = 0; r < plan.Rows; r += windowRows)
                    {
                        int n = Math.Min(windowRows, plan.Rows - r);
                        using var view = ckpt.Map(src, r * rowBytes, n * rowBytes);
                        FloatTensorEncoder.Write(s, type, src.Dtype, view.Bytes, n, plan.Cols, src.Name);
                    }
                }
                done += src.ByteLength + (ckpt.Find(HfTensorMap.WeightScaleName(src.Name))?.ByteLength ?? 0);
                options.Progress?.Report(new DownloadProgress(done, total, done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
            });
        }
        if (config.Llama3Rope is { } rope)
        {
            var factors = rope.RopeFreqFactors(config.RopeTheta, config.HeadDim);
            w.AddTensor("rope_freqs.weight", GgmlType.F32, [factors.Length], System.Runtime.InteropServices.MemoryMarshal.AsBytes(factors.AsSpan()).ToArray());
        }
        w.WriteTo(outputPath);
    }

    private static GgufWriter Metadata(HfConfig c, HfConvertOptions o, string name)
    {
        string arch = c.GgufArchitecture, p = arch + ".";
        return new GgufWriter()
            .Add("general.architecture", arch)
            .Add("general.name", name)
            .Add("general.file_type", FileType(o.WeightType))
            .Add(p + "vocab_size", (uint)c.VocabSize)
            .Add(p + "context_length", (uint)c.ContextLength)
            .Add(p + "embedding_length", (uint)c.Dim)
            .Add(p + "block_count", (uint)c.Layers)
            .Add(p + "feed_forward_length", (uint)c.FfnDim)
            .Add(p + "rope.dimension_count", (uint)c.HeadDim)
            .Add(p + "attention.head_count", (uint)c.Heads)
            .Add(p + "attention.head_count_kv", (uint)c.KvHeads)
            .Add(p + "attention.key_length", (uint)c.HeadDim)
            .Add(p + "attention.value_length", (uint)c.HeadDim)
            .Add(p + "attention.layer_norm_rms_epsilon", c.RmsEps)
            .Add(p + "rope.freq_base", c.RopeTheta);
    }

    /// <summary>general.file_type: llama.cpp's ALL_F32 (0), MOSTLY_F16 (1), MOSTLY_TQ1_0 (36), MOSTLY_TQ2_0 (37), bitnet.cpp's MOSTLY_I2_S (40).</summary>
    public static uint FileType(GgmlType weightType) => weightType switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        _ => Dummy.DummyModelWriter.FileType(weightType),
    };

    private static void CheckTypes(HfConfig c, HfConvertOptions o)
    {
        if (!ProjectionEncoder.Types.Contains(o.WeightType))
            throw new ArgumentException($"projection type {o.WeightType} is not one of {string.Join(", ", ProjectionEncoder.Types)}");
        if (!FloatTensorEncoder.Types.Contains(o.EmbeddingType))
            throw new ArgumentException($"embedding type {o.EmbeddingType} is not one of {string.Join(", ", FloatTensorEncoder.Types)}");
        int block = ProjectionEncoder.RowBlock(o.WeightType);
        foreach (var (what, k) in new[] { ("hidden_size", c.Dim), ("intermediate_size", c.FfnDim), ("num_attention_heads × head_dim", c.QDim) })
            if (k % block != 0)
                throw new HfCheckpointException(
                    $"{what} {k} is not a multiple of {block}: {o.WeightType} rows are whole blocks of {block} values{(o.WeightType != GgmlType.I2_S && k % 128 == 0 ? " (--type i2_s would fit)" : "")}");
        if (o.EmbeddingType == GgmlType.Q8_0 && c.Dim % 32 != 0)
            throw new HfCheckpointException($"hidden_size {c.Dim} is not a multiple of 32, which Q8_0 embeddings need");
    }

    private static SafetensorsTensorInfo Source(SafetensorsCheckpoint ckpt, HfTensorPlan plan)
    {
        var t = ckpt.Find(plan.HfName) ?? throw new HfCheckpointException($"the checkpoint has no tensor {plan.HfName} (it becomes {plan.GgufName})");
        switch (plan.Role)
        {
            case HfTensorRole.Projection:
                bool packed = t.Dtype == SafetensorsDtype.U8;
                if (packed && plan.Rows % 4 != 0) throw new HfCheckpointException($"{t.Name}: {plan.Rows} output rows cannot be packed 4 per byte");
                HfCheckpointReader.RequireShape(t, packed ? plan.Rows / 4 : plan.Rows, plan.Cols, packed ? "packed ternary, 4 weights per byte along the output axis" : "[out, in]");
                if (t.Dtype is SafetensorsDtype.U8 or SafetensorsDtype.I8 && ckpt.Find(HfTensorMap.WeightScaleName(t.Name)) is null)
                    throw new HfCheckpointException($"{t.Name} is {SafetensorsDtypes.Name(t.Dtype)} ternary but the checkpoint has no {HfTensorMap.WeightScaleName(t.Name)}");
                break;
            default:
                if (!HfFloats.IsFloat(t.Dtype)) throw new HfCheckpointException($"{t.Name} is {SafetensorsDtypes.Name(t.Dtype)}; Tern expects F32, F16 or BF16");
                HfCheckpointReader.RequireShape(t, plan.Rows, plan.Cols, plan.Role == HfTensorRole.Norm ? "a norm" : "[vocab, hidden]");
                break;
        }
        return t;
    }

    /// <summary>A tensor nobody reads would be a part of the model silently dropped (a bias, an extra norm): refuse it by name.</summary>
    private static void CheckNothingLeftOver(SafetensorsCheckpoint ckpt, IReadOnlyList<HfTensorPlan> plans, HfConfig c)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in plans)
        {
            used.Add(p.HfName);
            used.Add(HfTensorMap.WeightScaleName(p.HfName));
        }
        if (c.TiedEmbeddings) used.Add("lm_head.weight");
        var extra = ckpt.Tensors.Select(t => t.Name).Where(n => !used.Contains(n) && !HfCheckpointReader.IsIgnorable(n)).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new HfCheckpointException(
                $"the checkpoint has {extra.Count} tensor(s) {c.HfArchitecture} does not use ({string.Join(", ", extra.Take(5))}{(extra.Count > 5 ? ", …" : "")}); converting without them would change the model");
    }
}
