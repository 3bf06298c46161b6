namespace Tern.Sampling;

/// <summary>Sampling settings, with llama.cpp's defaults. Temperature ≤ 0 means greedy (argmax, lowest id on ties).</summary>
public sealed record SamplerOptions
{
    public float Temperature { get; init; } = 0.8f;
    /// <summary>Keep the k most likely tokens; 0 disables.</summary>
    public int TopK { get; init; } = 40;
    /// <summary>Keep the smallest set of most likely tokens whose probability reaches p; 1 disables.</summary>
    public float TopP { get; init; } = 0.95f;
    /// <summary>Drop tokens less likely than min_p × the most likely one; 0 disables.</summary>
    public float MinP { get; init; } = 0.05f;
    /// <summary>Divide positive (multiply negative) logits of recently seen tokens by this; 1 disables.</summary>
    public float RepeatPenalty { get; init; } = 1.0f;
    /// <summary>How many recent tokens the penalties look at.</summary>
    public int RepeatLastN { get; init; } = 64;
    /// <summary>Subtracted from a recent token's logit once per occurrence (OpenAI's frequency_penalty); 0 disables.</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>Subtracted from the logit of every recent token (OpenAI's presence_penalty); 0 disables.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Whether any penalty changes logits.</summary>
    public bool HasPenalties => RepeatLastN > 0 && (RepeatPenalty != 1f || FrequencyPenalty != 0 || PresencePenalty != 0);
    /// <summary>
    /// How many of the largest logits sampling can pick from: 1 when greedy, else <see cref="TopK"/>; 0 when every
    /// logit matters (no top-k). What the exact top-k output layer needs to compute.
    /// </summary>
    public int CandidateCount => Temperature <= 0 ? 1 : TopK;
    /// <summary>Random seed; null picks one at random.</summary>
    public ulong? Seed { get; init; }

    public static SamplerOptions Greedy { get; } = new() { Temperature = 0 };

    public void Validate()
    {
        if (!(Temperature >= 0)) throw new ArgumentException("temperature must be a number ≥ 0 (0 = greedy)");
        if (TopK < 0) throw new ArgumentException("top-k must be ≥ 0");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException("top-p must be in (0, 1]");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException("min-p must be in [0, 1]");
        if (!(RepeatPenalty > 0)) throw new ArgumentException("repeat-penalty must be > 0");
        if (RepeatLastN < 0) throw new ArgumentException("repeat-last-n must be ≥ 0");
        if (!float.IsFinite(FrequencyPenalty)) throw new ArgumentException("frequency penalty must be a finite number");
        if (!float.IsFinite(PresencePenalty)) throw new ArgumentException("presence penalty must be a finite number");
    }
}
