using System.CommandLine;
using Tern.Download;
using Tern.Inference;
using Tern.Models;
using Tern.Sampling;
using Tern.Tensors;
using Tern.Threading;

namespace Tern.Cli.Commands;

/// <summary>Options shared by several commands, named as in llama.cpp.</summary>
internal static class CommonOptions
{
    public static Option<string?> Model() => new("--model", "-m")
    {
        Description = "model: a GGUF path, or hf:OWNER/REPO/FILE (downloaded once into the cache)",
    };

    public static Option<int> Threads() => new("--threads", "-t")
    {
        Description = "worker threads (at most the logical processors)",
        DefaultValueFactory = _ => WorkerPool.DefaultThreadCount,
    };

    /// <summary>"1 thread", "2 threads".</summary>
    public static string ThreadCount(int n) => n == 1 ? "1 thread" : $"{n} threads";

    public static Option<int> Context() => new("--ctx-size", "-c")
    {
        Description = "context size in tokens (default: the model's, at most 4096)",
    };

    public static Option<string> CacheType() => new("--cache-type")
    {
        Description = "KV cache numerics: f32 (exact) or f16 (llama.cpp/bitnet.cpp compatible)",
        DefaultValueFactory = _ => "f32",
    };

    public static Option<bool> TopKOutput() => new("--topk-output")
    {
        Description = "exact top-k output layer: scan an int8 copy of the output matrix, recompute the possible top-k rows exactly (same tokens, fewer bytes; greedy or top-k sampling)",
    };

    public static Option<string> I2SLayout() => new("--i2s-layout")
    {
        Description = "I2_S block layout: auto (from the file), x86 (bitnet.cpp on x86, Microsoft's files) or arm (bitnet.cpp's llama-quantize on ARM since Nov 2025)",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>The --i2s-layout value as a load option: null for auto.</summary>
    public static I2SBlockLayout? ParseI2SLayout(string? s) => (s ?? "auto").ToLowerInvariant() switch
    {
        "auto" => null,
        var v => I2SLayoutDecision.Parse(v) ?? throw new UserError($"unknown --i2s-layout '{s}' (auto, x86 or arm)"),
    };

    /// <summary>Says on stderr how the I2_S layout was chosen when it was not plain (an ARM file, or a guess).</summary>
    public static void ReportI2SLayout(Model model, CliIO io)
    {
        var d = model.I2SLayout;
        if (d.Source == I2SLayoutSource.Assumed) io.Err.WriteLine($"warning: {d}");
        else if (d.Layout == I2SBlockLayout.Arm) io.Err.WriteLine($"{d}; repacked at load");
    }

    public static Option<bool> Force() => new("--force") { Description = "overwrite the output file if it exists" };

    /// <summary>Resolves -m (local path or hf: reference, default model when absent), downloading with a progress bar if needed.</summary>
    public static string ResolveModel(string? arg, CliIO io, bool useDefault = true)
    {
        if (string.IsNullOrEmpty(arg) && !useDefault) throw new UserError("no model given (use -m MODEL)");
        if (string.IsNullOrEmpty(arg))
        {
            io.Err.WriteLine($"using the built-in demo model {BuiltinModel.BuiltinModel.Name} (TinyStories, 1M ternary weights); " +
                             $"pass -m for a real one, e.g. -m {ModelDownloader.DefaultModel}");
            return BuiltinModel.BuiltinModel.EnsureFile();
        }
        using var bar = new ConsoleProgressBar();
        return ModelDownloader.ResolveAsync(arg, bar).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The context to allocate: -c, else the model's (at most 4096). Refused beyond the model's trained length, and
    /// when its KV cache would not fit in the memory this process may use — before anything is allocated.
    /// </summary>
    public static int ContextSize(int requested, Model model, KvCacheType cacheType)
    {
        if (requested < 0) throw new UserError("--ctx-size must be positive");
        var c = model.Config;
        if (requested > c.ContextLength)
            throw new UserError($"-c {requested} is more than the model's context of {c.ContextLength} tokens");
        int ctx = requested > 0 ? requested : Math.Min(c.ContextLength, 4096);
        CheckKvMemory(ctx, model, cacheType);
        return ctx;
    }

    /// <summary>Refuses a context whose full KV cache exceeds the memory available (or one array's limit).</summary>
    public static void CheckKvMemory(int ctx, Model model, KvCacheType cacheType)
    {
        var c = model.Config;
        long bytes = 2L * c.Layers * ctx * c.KvDim * (cacheType == KvCacheType.F16 ? 2 : sizeof(float));
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available)
            throw new UserError($"a {ctx}-token context needs {Size(bytes)} of KV cache, more than the {Size(available)} of memory available (use a smaller -c)");
        if ((long)ctx * c.KvDim > Array.MaxLength)
            throw new UserError($"a {ctx}-token context is more than one layer's KV array can hold (at most {Array.MaxLength / c.KvDim} tokens)");
    }

    public static string Size(long bytes) => bytes >= 1L << 30
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB");

    public static KvCacheType ParseCacheType(string? s) => (s ?? "f32").ToLowerInvariant() switch
    {
        "f32" => KvCacheType.F32,
        "f16" => KvCacheType.F16,
        _ => throw new UserError($"unknown --cache-type '{s}' (f32 or f16)"),
    };

    /// <summary>
    /// The thread count to use for -t <paramref name="t"/>: at least 1, and at most the logical processors (more only
    /// take cores from each other, and from the caller: a warning on stderr, then the core count).
    /// </summary>
    public static int CheckThreads(int t, CliIO io)
    {
        if (t < 1) throw new UserError($"--threads must be at least 1 (got {t})");
        int cores = Math.Max(Environment.ProcessorCount, 1);
        if (t <= cores) return t;
        io.Err.WriteLine($"warning: --threads {t} is more than the {cores} logical processors; using {cores}");
        return cores;
    }

    public static void CheckOutput(string path, bool force)
    {
        if (Directory.Exists(path)) throw new UserError($"{path} is a directory; give a file name");
        if (File.Exists(path) && !force) throw new UserError($"{path} exists; pass --force to overwrite it");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null && !Directory.Exists(dir)) throw new UserError($"output directory {dir} does not exist");
    }

    /// <summary>The text of -f FILE; "-" reads standard input to its end.</summary>
    public static string ReadPromptFile(string path, CliIO io)
    {
        if (path == "-") return io.In.ReadToEnd();
        if (Directory.Exists(path)) throw new UserError($"-f {path} is a directory; give a file");
        if (!File.Exists(path)) throw new UserError($"-f {path}: file not found");
        return File.ReadAllText(path);
    }

    /// <summary>Parses "--tokens" text: ids separated by spaces or commas.</summary>
    public static int[] ParseIds(string text, int vocab)
    {
        var parts = text.Split([' ', ',', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UserError("--tokens is empty");
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], out ids[i])) throw new UserError($"--tokens: '{parts[i]}' is not a token id");
            if (ids[i] < 0 || ids[i] >= vocab) throw new UserError($"--tokens: id {ids[i]} is outside the vocabulary (0..{vocab - 1})");
        }
        return ids;
    }
}

/// <summary>The sampling flags of `generate` and `chat`.</summary>
internal sealed class SamplingOptions
{
    public readonly Option<float> Temp = new("--temp") { Description = "temperature (0 = greedy)", DefaultValueFactory = _ => 0.8f };
    public readonly Option<int> TopK = new("--top-k") { Description = "top-k sampling (0 = off)", DefaultValueFactory = _ => 40 };
    public readonly Option<float> TopP = new("--top-p") { Description = "top-p sampling (1 = off)", DefaultValueFactory = _ => 0.95f };
    public readonly Option<float> MinP = new("--min-p") { Description = "min-p sampling (0 = off)", DefaultValueFactory = _ => 0.05f };
    public readonly Option<float> RepeatPenalty = new("--repeat-penalty") { Description = "penalty for repeated tokens (1 = off)", DefaultValueFactory = _ => 1.0f };
    public readonly Option<int> RepeatLastN = new("--repeat-last-n") { Description = "how many recent tokens the penalty sees", DefaultValueFactory = _ => 64 };
    public readonly Option<long?> Seed = new("--seed", "-s") { Description = "random seed (default: random)" };

    public void AddTo(Command c)
    {
        c.Options.Add(Temp); c.Options.Add(TopK); c.Options.Add(TopP); c.Options.Add(MinP);
        c.Options.Add(RepeatPenalty); c.Options.Add(RepeatLastN); c.Options.Add(Seed);
    }

    public SamplerOptions Read(ParseResult p)
    {
        var o = new SamplerOptions
        {
            Temperature = p.GetValue(Temp),
            TopK = p.GetValue(TopK),
            TopP = p.GetValue(TopP),
            MinP = p.GetValue(MinP),
            RepeatPenalty = p.GetValue(RepeatPenalty),
            RepeatLastN = p.GetValue(RepeatLastN),
            Seed = p.GetValue(Seed) is long s ? unchecked((ulong)s) : null,
        };
        try { o.Validate(); }
        catch (ArgumentException e) { throw new UserError(FlagTerms(e.Message)); }
        return o;
    }

    /// <summary>The sampler's message with the flag's name: "--temp must be …", "--top-p must be …".</summary>
    private static string FlagTerms(string message) =>
        message.StartsWith("temperature", StringComparison.Ordinal) ? "--temp" + message["temperature".Length..]
        : message.StartsWith("top-", StringComparison.Ordinal) || message.StartsWith("min-p", StringComparison.Ordinal) || message.StartsWith("repeat-", StringComparison.Ordinal) ? "--" + message
        : message;
}
