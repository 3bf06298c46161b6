using System.Text.Json;

namespace Tern.Conversion;

/// <summary>Reading the JSON files of a checkpoint directory, every failure an <see cref="HfCheckpointException"/> naming the file.</summary>
internal static class HfJson
{
    /// <summary>Config files are small; anything larger than this is not one.</summary>
    public const long MaxConfigBytes = 64 << 20;

    public static JsonDocument Read(string path)
    {
        if (!File.Exists(path)) throw new HfCheckpointException($"{path} not found");
        if (new FileInfo(path).Length > MaxConfigBytes) throw new HfCheckpointException($"{path} is over {MaxConfigBytes >> 20} MiB, too large for a config file");
        var bytes = File.ReadAllBytes(path);
        // JsonDocument checks UTF-8 only when a string is read (then throwing InvalidOperationException): check it all first.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new HfCheckpointException($"{path}: not valid UTF-8");
        try
        {
            var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw new HfCheckpointException($"{path}: not a JSON object");
            }
            return doc;
        }
        catch (JsonException e)
        {
            throw new HfCheckpointException($"{path}: not valid JSON ({e.Message})");
        }
    }

    public static JsonDocument? ReadOptional(string path) => File.Exists(path) ? Read(path) : null;

    public static JsonElement? Get(this JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static string? GetString(this JsonElement obj, string name, string file) => obj.Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        var v => throw new HfCheckpointException($"{file}: \"{name}\" should be a string, is {v.Value.GetRawText()}"),
    };

    public static int? GetInt(this JsonElement obj, string name, string file, int min = 0, int max = int.MaxValue)
    {
        if (obj.Get(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < min || x > max)
            throw new HfCheckpointException($"{file}: \"{name}\" = {v.GetRawText()} is not an integer in {min}..{max}");
        return (int)x;
    }

    public static double? GetDouble(this JsonElement obj, string name, string file)
    {
        if (obj.Get(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !double.IsFinite(v.GetDouble()))
            throw new HfCheckpointException($"{file}: \"{name}\" = {v.GetRawText()} is not a finite number");
        return v.GetDouble();
    }

    public static bool? GetBool(this JsonElement obj, string name, string file) => obj.Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        var v => throw new HfCheckpointException($"{file}: \"{name}\" should be true or false, is {v.Value.GetRawText()}"),
    };

    /// <summary>A token id given as a number or a list of numbers (the first is taken, as llama.cpp's converter does).</summary>
    public static int? GetFirstId(this JsonElement obj, string name, string file)
    {
        if (obj.Get(name) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Array)
        {
            if (v.GetArrayLength() == 0) return null;
            v = v[0];
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int id) || id < 0)
            throw new HfCheckpointException($"{file}: \"{name}\" = {v.GetRawText()} is not a token id");
        return id;
    }
}
