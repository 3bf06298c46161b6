using Tern.Models;

namespace Tern.Conversion;

/// <summary>What a checkpoint tensor is to the converter.</summary>
public enum HfTensorRole { Embedding, Output, Norm, Projection }

/// <summary>
/// One GGUF tensor and the checkpoint tensor it comes from: <paramref name="Rows"/> × <paramref name="Cols"/> as
/// PyTorch stores it (<c>[out, in]</c>; a norm has Rows = 1), GGUF dims [Cols, Rows]. <paramref name="PermuteHeads"/>
/// &gt; 0 marks a llama Q/K projection whose rows are reordered for GGUF's RoPE (see <see cref="QkPermutation"/>).
/// </summary>
public sealed record HfTensorPlan(string GgufName, string HfName, HfTensorRole Role, int Rows, int Cols, int PermuteHeads = 0)
{
    public long[] GgufDims => Role == HfTensorRole.Norm ? [Cols] : [Cols, Rows];
}

/// <summary>
/// The checkpoint tensor names of each architecture and the GGUF names they become (spec/converter.md, gguf-py's
/// mapping), in the order Tern's loader reads them.
/// </summary>
public static class HfTensorMap
{
    public static IReadOnlyList<HfTensorPlan> For(HfConfig c, bool hasLmHead)
    {
        var plans = new List<HfTensorPlan> { new("token_embd.weight", "model.embed_tokens.weight", HfTensorRole.Embedding, c.VocabSize, c.Dim) };
        bool subNorms = c.Kind is ArchitectureKind.BitNetB158 or ArchitectureKind.BitNet;
        // 1bitLLM's custom modelling code names the sub-norms differently from transformers' BitNet.
        string attnSub = c.Kind == ArchitectureKind.BitNet ? "self_attn.inner_attn_ln" : "self_attn.attn_sub_norm";
        string ffnSub = c.Kind == ArchitectureKind.BitNet ? "mlp.ffn_layernorm" : "mlp.ffn_sub_norm";
        bool permute = c.Kind == ArchitectureKind.Llama;
        for (int l = 0; l < c.Layers; l++)
        {
            string b = $"blk.{l}.", h = $"model.layers.{l}.";
            plans.Add(new(b + "attn_norm.weight", h + "input_layernorm.weight", HfTensorRole.Norm, 1, c.Dim));
            plans.Add(new(b + "attn_q.weight", h + "self_attn.q_proj.weight", HfTensorRole.Projection, c.QDim, c.Dim, permute ? c.Heads : 0));
            plans.Add(new(b + "attn_k.weight", h + "self_attn.k_proj.weight", HfTensorRole.Projection, c.KvDim, c.Dim, permute ? c.KvHeads : 0));
            plans.Add(new(b + "attn_v.weight", h + "self_attn.v_proj.weight", HfTensorRole.Projection, c.KvDim, c.Dim));
            if (subNorms) plans.Add(new(b + "attn_sub_norm.weight", h + attnSub + ".weight", HfTensorRole.Norm, 1, c.QDim));
            plans.Add(new(b + "attn_output.weight", h + "self_attn.o_proj.weight", HfTensorRole.Projection, c.Dim, c.QDim));
            plans.Add(new(b + "ffn_norm.weight", h + "post_attention_layernorm.weight", HfTensorRole.Norm, 1, c.Dim));
            plans.Add(new(b + "ffn_gate.weight", h + "mlp.gate_proj.weight", HfTensorRole.Projection, c.FfnDim, c.Dim));
            plans.Add(new(b + "ffn_up.weight", h + "mlp.up_proj.weight", HfTensorRole.Projection, c.FfnDim, c.Dim));
            if (subNorms) plans.Add(new(b + "ffn_sub_norm.weight", h + ffnSub + ".weight", HfTensorRole.Norm, 1, c.FfnDim));
            plans.Add(new(b + "ffn_down.weight", h + "mlp.down_proj.weight", HfTensorRole.Projection, c.Dim, c.FfnDim));
        }
        plans.Add(new("output_norm.weight", "model.norm.weight", HfTensorRole.Norm, 1, c.Dim));
        // An lm_head beside tie_word_embeddings = true is a copy of the embedding; GGUF ties by leaving output out.
        if (!c.TiedEmbeddings)
        {
            if (!hasLmHead) throw new HfCheckpointException("config.json: tie_word_embeddings is false but the checkpoint has no lm_head.weight");
            plans.Add(new("output.weight", "lm_head.weight", HfTensorRole.Output, c.VocabSize, c.Dim));
        }
        return plans;
    }

    /// <summary>The scale tensor of a packed projection: <c>….q_proj.weight</c> → <c>….q_proj.weight_scale</c>.</summary>
    public static string WeightScaleName(string hfWeightName) => hfWeightName + "_scale";
}
