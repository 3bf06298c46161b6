using System.Text.Json;

namespace Tern.Safetensors;

/// <summary>
/// The weights of a Hugging Face checkpoint directory: one <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c> (<c>{"weight_map": {"tensor name": "model-00001-of-00002.safetensors", …}}</c>).
/// Every shard's header is checked at open, and every tensor the index names must be in the shard it names.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _owner;

    private SafetensorsCheckpoint(List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner)
    {
        _files = files;
        _owner = owner;
    }

    public IReadOnlyList<SafetensorsFile> Files => _files;

    public IEnumerable<SafetensorsTensorInfo> Tensors => _owner.Select(kv => kv.Value.ByName[kv.Key]);

    public long TotalBytes => _files.Sum(f => f.FileLength);

    public static SafetensorsCheckpoint Open(string directory)
    {
        string index = Path.Combine(directory, IndexFileName), single = Path.Combine(directory, SingleFileName);
        if (File.Exists(index)) return OpenSharded(directory, index);
        if (File.Exists(single))
        {
            var f = SafetensorsFile.Open(single);
            return new SafetensorsCheckpoint([f], f.Tensors.ToDictionary(t => t.Name, _ => f, StringComparer.Ordinal));
        }
        var found = Directory.GetFiles(directory, "*.safetensors");
        throw new SafetensorsFormatException(found.Length == 0
            ? $"{directory}: no {SingleFileName} or {IndexFileName}"
            : $"{directory}: {found.Length} .safetensors files but no {IndexFileName} saying which tensor is where");
    }

    private static SafetensorsCheckpoint OpenSharded(string directory, string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var files = new List<SafetensorsFile>();
        var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            var byShard = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (tensor, shard) in weightMap)
            {
                if (!byShard.TryGetValue(shard, out var f))
                {
                    string path = Path.Combine(directory, shard);
                    if (!File.Exists(path)) throw new SafetensorsFormatException($"{indexPath}: shard '{shard}' (holding '{tensor}') does not exist");
                    f = SafetensorsFile.Open(path);
                    files.Add(f);
                    byShard[shard] = f;
                }
                if (!f.ByName.ContainsKey(tensor)) throw new SafetensorsFormatException($"{indexPath}: '{tensor}' should be in {shard}, which does not hold it");
                owner[tensor] = f;
            }
            return new SafetensorsCheckpoint(files, owner);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    private static List<(string Tensor, string Shard)> ReadWeightMap(string indexPath)
    {
        var info = new FileInfo(indexPath);
        if (info.Length > SafetensorsFile.MaxHeaderBytes) throw new SafetensorsFormatException($"{indexPath}: {info.Length} bytes, too large for an index");
        try
        {
            var bytes = File.ReadAllBytes(indexPath);
            if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new SafetensorsFormatException($"{indexPath}: not valid UTF-8");
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException($"{indexPath}: no \"weight_map\" object");
            var result = new List<(string, string)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in map.EnumerateObject())
            {
                if (!seen.Add(e.Name)) throw new SafetensorsFormatException($"{indexPath}: '{e.Name}' is listed twice");
                string shard = e.Value.ValueKind == JsonValueKind.String ? e.Value.GetString()! : throw new SafetensorsFormatException($"{indexPath}: the shard of '{e.Name}' is not a string");
                // A shard is a file beside the index, never a path elsewhere.
                if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or "..")
                    throw new SafetensorsFormatException($"{indexPath}: shard name '{shard}' of '{e.Name}' is not a plain file name");
                result.Add((e.Name, shard));
            }
            if (result.Count == 0) throw new SafetensorsFormatException($"{indexPath}: the weight_map is empty");
            return result;
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException($"{indexPath}: not valid JSON ({e.Message})");
        }
    }

    public SafetensorsTensorInfo? Find(string name) => _owner.TryGetValue(name, out var f) ? f.ByName[name] : null;

    public SafetensorsFile.TensorView Map(SafetensorsTensorInfo t) => Map(t, 0, t.ByteLength);

    /// <summary>Maps a window of one tensor's bytes (see <see cref="SafetensorsFile.Map(SafetensorsTensorInfo, long, long)"/>).</summary>
    public SafetensorsFile.TensorView Map(SafetensorsTensorInfo t, long start, long length) =>
        _owner.TryGetValue(t.Name, out var f) ? f.Map(t, start, length) : throw new ArgumentException($"no tensor '{t.Name}' in the checkpoint", nameof(t));

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
