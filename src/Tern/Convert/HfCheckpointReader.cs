using Tern.Safetensors;

namespace Tern.Conversion;

/// <summary>Checks of checkpoint tensors against what the config says they must be.</summary>
internal static class HfCheckpointReader
{
    public static void RequireShape(SafetensorsTensorInfo t, int rows, int cols, string what)
    {
        bool ok = rows == 1 && t.Shape.Length == 1 ? t.Shape[0] == cols : t.Shape.Length == 2 && t.Shape[0] == rows && t.Shape[1] == cols;
        if (!ok)
            throw new HfCheckpointException(
                $"{t.Name} has shape {t.ShapeString} ({SafetensorsDtypes.Name(t.Dtype)}), but config.json makes it [{(rows == 1 ? "" : rows + ", ")}{cols}] ({what})");
    }

    /// <summary>Tensors a checkpoint may hold that carry nothing GGUF needs.</summary>
    public static bool IsIgnorable(string name) => name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);
}
