using System.Runtime.InteropServices;
using System.Text.Json;
using Tern.Conversion;
using Tern.Gguf;
using Tern.Models;
using Tern.Safetensors;
using Tern.Tensors;
using Tern.Tokenizers;

namespace Tern.Dummy;

/// <summary>
/// Writes a dummy model as a Hugging Face checkpoint directory (config.json, safetensors, tokenizer.json,
/// tokenizer_config.json) holding exactly the weights <see cref="DummyModelWriter"/> writes for the same spec, so
/// <c>tern convert</c> of it must give a GGUF whose logits equal the dummy GGUF's bit for bit.
/// </summary>
/// <remarks>
/// <para>Layouts: bitnet-b1.58 → BitNetForCausalLM (transformers' names), bitnet → BitnetForCausalLM (1bitLLM's
/// inner_attn_ln / ffn_layernorm sub-norms), llama → LlamaForCausalLM with quant_method bitnet and Q/K rows in Hugging
/// Face's rotate-half order (the inverse of the converter's <see cref="QkPermutation"/>). Embedding in the spec's
/// embedding type (F16 or BF16 keep the dummy's grid values exactly; F32 too), norms F32, tied output.</para>
/// <para>Projections, per <see cref="DummyHfOptions.Weights"/>: packed U8 codes with an F32 weight_scale equal to s
/// (autobitlinear) or to a w with 1/w = s exactly in float32 (bitlinear); or F32 master weights ±a and 0 with a chosen so
/// that the absmean rule's scale, 1 / (1 / mean|W|) in float32, is s exactly — then the rule gives back the same trits
/// (a / mean|W| = N / nonzeros ≥ 1 rounds to 1) and the same scale.</para>
/// </remarks>
public static class DummyHfCheckpointWriter
{
    public static void Write(string directory, DummyModelSpec spec, DummyHfOptions? options = null)
    {
        options ??= new DummyHfOptions();
        spec.Validate();
        var kind = ArchitectureNames.FromName(spec.Architecture);
        if (kind == ArchitectureKind.BitLlama2c)
            throw new ArgumentException("bitllama2c models have no Hugging Face layout; write them as GGUF", nameof(spec));
        if (options.LinearClass is not ("autobitlinear" or "bitlinear"))
            throw new ArgumentException($"linear class '{options.LinearClass}' is neither autobitlinear nor bitlinear", nameof(options));
        if (options.Shards < 1 || options.Shards > 1000) throw new ArgumentException($"shards = {options.Shards} is outside 1..1000", nameof(options));
        Directory.CreateDirectory(directory);

        var config = new HfConfig
        {
            HfArchitecture = kind switch { ArchitectureKind.BitNetB158 => "BitNetForCausalLM", ArchitectureKind.BitNet => "BitnetForCausalLM", _ => "LlamaForCausalLM" },
            Kind = kind,
            Dim = spec.Dim, FfnDim = spec.FfnDim, Layers = spec.Layers, Heads = spec.Heads, KvHeads = spec.KvHeads, HeadDim = spec.HeadDim,
            VocabSize = spec.VocabSize, ContextLength = spec.ContextLength, RmsEps = 1e-5f, RopeTheta = spec.RopeTheta, TiedEmbeddings = true,
        };
        var tokenizer = TokenizerData.CreateTinyByteLevel(spec.VocabSize);
        WriteConfig(Path.Combine(directory, HfConfig.FileName), config, tokenizer, options);
        DummyHfTokenizerFiles.Write(directory, tokenizer, options.MergesAsPairs);

        var tensors = new List<(string Name, SafetensorsDtype Dtype, long[] Shape, Action<Stream> Write)>();
        // Each HF tensor is the GGUF tensor of the same name in HfTensorMap, generated as DummyModelWriter generates it.
        foreach (var plan in HfTensorMap.For(config, hasLmHead: false))
        {
            switch (plan.Role)
            {
                case HfTensorRole.Embedding:
                    var dtype = spec.EmbeddingType switch { GgmlType.F32 => SafetensorsDtype.F32, GgmlType.BF16 => SafetensorsDtype.BF16, _ => SafetensorsDtype.F16 };
                    tensors.Add((plan.HfName, dtype, [plan.Rows, plan.Cols], s => DummyModelWriter.WriteEmbedding(s, spec, plan.GgufName, _ => { })));
                    break;
                case HfTensorRole.Norm:
                    tensors.Add((plan.HfName, SafetensorsDtype.F32, [plan.Cols], s => DummyModelWriter.WriteNorm(s, spec.Seed, plan.GgufName, plan.Cols, _ => { })));
                    break;
                case HfTensorRole.Projection:
                    AddProjection(tensors, spec, plan, options);
                    break;
            }
        }
        WriteShards(directory, tensors, options.Shards);
    }

    private static void AddProjection(List<(string, SafetensorsDtype, long[], Action<Stream>)> tensors, DummyModelSpec spec, HfTensorPlan plan, DummyHfOptions options)
    {
        var t = new RandomTernaryTensor(spec.Seed, plan.GgufName, plan.Rows, plan.Cols);
        int rows = plan.Rows, cols = plan.Cols;
        sbyte[] HfTrits()
        {
            var i2s = new MemoryStream((int)t.ByteSize(GgmlType.I2_S));
            t.WriteTo(i2s, GgmlType.I2_S);
            var trits = new sbyte[(long)rows * cols];
            I2S.DecodeTrits(i2s.GetBuffer().AsSpan(0, (int)i2s.Length), 0, trits);
            if (plan.PermuteHeads == 0) return trits;
            var hf = new sbyte[trits.Length];
            int headRows = rows / plan.PermuteHeads;
            for (int r = 0; r < rows; r++) trits.AsSpan(r * cols, cols).CopyTo(hf.AsSpan(QkPermutation.SourceRow(r, headRows) * cols, cols));
            return hf;
        }
        if (options.Weights == DummyHfWeights.Packed)
        {
            tensors.Add((plan.HfName, SafetensorsDtype.U8, [rows / 4, cols], s =>
            {
                var packed = new byte[(long)rows / 4 * cols];
                PackedTernary.Pack(HfTrits(), rows, cols, packed);
                s.Write(packed);
            }));
            // bitlinear stores 1/s. Not every float32 s is the rounded reciprocal of a float32 (0.059509277 is not), so that
            // weight_scale is F64: 1/(1/s) in double rounds back to s exactly.
            if (options.LinearClass == "autobitlinear")
                tensors.Add((HfTensorMap.WeightScaleName(plan.HfName), SafetensorsDtype.F32, [1], s => s.Write(BitConverter.GetBytes(t.Scale))));
            else
                tensors.Add((HfTensorMap.WeightScaleName(plan.HfName), SafetensorsDtype.F64, [1], s => s.Write(BitConverter.GetBytes(1.0 / t.Scale))));
        }
        else
        {
            tensors.Add((plan.HfName, SafetensorsDtype.F32, [rows, cols], s =>
            {
                var trits = HfTrits();
                long nonzero = trits.Count(x => x != 0);
                float a = MasterMagnitude(t.Scale, trits.Length, nonzero, plan.HfName);
                var w = new float[trits.Length];
                for (int i = 0; i < w.Length; i++) w[i] = trits[i] * a;
                s.Write(MemoryMarshal.AsBytes(w.AsSpan()));
            }));
        }
    }

    /// <summary>
    /// The nonzero master-weight magnitude a for which <see cref="Ternarizer"/>'s scale of ±a (nonzero of n values) is s,
    /// or, when no float32 is s's rounded reciprocal's reciprocal (the rule's scale is 1 / (1 / mean) in float32, and some
    /// F16 values such as 0.059509277 are not of that form), the nearest scale the rule can give: one float32 ulp away.
    /// </summary>
    internal static float MasterMagnitude(float s, long n, long nonzero, string name)
    {
        if (nonzero == 0) return 0; // all-zero tensor: any scale gives the same products
        float a0 = (float)((double)s * n / nonzero);
        for (int tolerance = 0; tolerance <= 1; tolerance++)
            for (int k = 0; k < 256; k++)
                foreach (float a in new[] { BitStep(a0, k), BitStep(a0, -k) })
                {
                    // What Ternarizer computes: the mean in double rounded to float, then 1 / (1 / mean) in float32.
                    float mean = (float)((double)a * nonzero / n);
                    float scale = 1f / (1f / MathF.Max(mean, Ternarizer.MinScale));
                    if (Math.Abs(BitConverter.SingleToInt32Bits(scale) - BitConverter.SingleToInt32Bits(s)) <= tolerance) return a;
                }
        throw new InvalidOperationException($"{name}: no master-weight magnitude gives scale {s}");
    }

    private static float BitStep(float x, int ulps) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(x) + ulps);

    private static void WriteConfig(string path, HfConfig c, TokenizerData tok, DummyHfOptions o)
    {
        using var fs = File.Create(path);
        using var j = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        j.WriteStartObject();
        j.WriteStartArray("architectures");
        j.WriteStringValue(c.HfArchitecture);
        j.WriteEndArray();
        j.WriteString("model_type", c.Kind == ArchitectureKind.Llama ? "llama" : "bitnet");
        j.WriteString("hidden_act", c.Kind == ArchitectureKind.BitNetB158 ? "relu2" : "silu");
        j.WriteNumber("hidden_size", c.Dim);
        j.WriteNumber("intermediate_size", c.FfnDim);
        j.WriteNumber("num_hidden_layers", c.Layers);
        j.WriteNumber("num_attention_heads", c.Heads);
        j.WriteNumber("num_key_value_heads", c.KvHeads);
        j.WriteNumber("vocab_size", c.VocabSize);
        j.WriteNumber("max_position_embeddings", c.ContextLength);
        j.WriteNumber("rms_norm_eps", 1e-5);
        j.WriteNumber("rope_theta", (double)c.RopeTheta);
        j.WriteBoolean("tie_word_embeddings", true);
        j.WriteNumber("bos_token_id", tok.BosId);
        j.WriteNumber("eos_token_id", tok.EosId);
        j.WriteString("torch_dtype", "float32");
        j.WriteStartObject("quantization_config");
        j.WriteString("quant_method", "bitnet");
        j.WriteString("linear_class", o.LinearClass);
        j.WriteString("quantization_mode", o.Weights == DummyHfWeights.Packed ? "offline" : "online");
        j.WriteEndObject();
        j.WriteEndObject();
    }

    private static void WriteShards(string directory, List<(string Name, SafetensorsDtype Dtype, long[] Shape, Action<Stream> Write)> tensors, int shards)
    {
        if (shards == 1)
        {
            var w = new SafetensorsWriter();
            foreach (var t in tensors) w.Add(t.Name, t.Dtype, t.Shape, t.Write);
            w.WriteTo(Path.Combine(directory, SafetensorsCheckpoint.SingleFileName));
            return;
        }
        shards = Math.Min(shards, tensors.Count);
        long Bytes((string, SafetensorsDtype Dtype, long[] Shape, Action<Stream>) t) => t.Shape.Aggregate(1L, (x, d) => x * d) * SafetensorsDtypes.SizeOf(t.Dtype);
        long total = tensors.Sum(Bytes), done = 0;
        var map = new List<(string Tensor, string Shard)>();
        int next = 0;
        for (int k = 0; k < shards; k++)
        {
            string file = $"model-{k + 1:D5}-of-{shards:D5}.safetensors";
            var w = new SafetensorsWriter();
            // Shard k takes tensors until its share of the bytes is reached, leaving at least one for each later shard.
            while (next < tensors.Count - (shards - 1 - k) && (done < total * (k + 1) / shards || !w.Names.Any()))
            {
                var t = tensors[next++];
                w.Add(t.Name, t.Dtype, t.Shape, t.Write);
                map.Add((t.Name, file));
                done += Bytes(t);
            }
            if (k == shards - 1)
                while (next < tensors.Count)
                {
                    var t = tensors[next++];
                    w.Add(t.Name, t.Dtype, t.Shape, t.Write);
                    map.Add((t.Name, file));
                }
            w.WriteTo(Path.Combine(directory, file));
        }
        using var fs = File.Create(Path.Combine(directory, SafetensorsCheckpoint.IndexFileName));
        using var j = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        j.WriteStartObject();
        j.WriteStartObject("metadata");
        j.WriteNumber("total_size", total);
        j.WriteEndObject();
        j.WriteStartObject("weight_map");
        foreach (var (tensor, shard) in map) j.WriteString(tensor, shard);
        j.WriteEndObject();
        j.WriteEndObject();
    }
}
