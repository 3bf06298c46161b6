using System.CommandLine;
using System.Globalization;
using Tern.Gguf;
using Tern.Models;

namespace Tern.Cli.Commands;

/// <summary>`tern info MODEL`: the metadata and the tensor table of a GGUF file.</summary>
internal static class InfoCommand
{
    public static Command Create(CliIO io)
    {
        var path = new Argument<string?>("MODEL") { Description = "GGUF file or hf: reference", Arity = ArgumentArity.ZeroOrOne };
        var model = CommonOptions.Model();
        var cmd = new Command("info", "Show a GGUF file's metadata and tensors.") { path, model };
        cmd.SetGuardedAction(io, p =>
        {
            string? arg = p.GetValue(path) ?? p.GetValue(model);
            using var f = GgufFile.Open(CommonOptions.ResolveModel(arg, io, useDefault: false));
            var o = io.Out;
            o.WriteLine($"file: {f.Path} ({f.FileSize:N0} bytes), GGUF v{f.Version}, alignment {f.Alignment}");
            o.WriteLine($"metadata: {f.MetadataList.Count} keys");
            foreach (var (key, value) in f.MetadataList)
                o.WriteLine($"  {key} = {Format(value)}");
            o.WriteLine($"tensors: {f.Tensors.Count}");
            if (f.Tensors.Count > 0)
            {
                int w = Math.Max(4, f.Tensors.Max(t => t.Name.Length));
                o.WriteLine($"  {"name".PadRight(w)}  {"type",-7} {"shape",-22} {"bytes",15}");
                foreach (var t in f.Tensors)
                    o.WriteLine($"  {t.Name.PadRight(w)}  {t.Type,-7} {t.ShapeString,-22} {t.ByteSize,15:N0}");
                var byType = f.Tensors.GroupBy(t => t.Type).Select(g => $"{g.Key}: {g.Count()} ({g.Sum(t => t.ByteSize):N0} bytes)");
                o.WriteLine($"  total {f.Tensors.Sum(t => t.ByteSize):N0} bytes; " + string.Join(", ", byType));
            }
            var layout = I2SLayoutDetector.Decide(f, null);
            if (layout.Source != I2SLayoutSource.NoI2STensors) o.WriteLine(layout.ToString());
            return 0;
        });
        return cmd;
    }

    private static string Format(object v) => v switch
    {
        string s => Quote(s, 200),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        GgufArray a => FormatArray(a),
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };

    private static string FormatArray(GgufArray a)
    {
        const int shown = 6;
        var items = a.Values.Cast<object>().Take(shown).Select(x => x is string s ? Quote(s, 40) : Format(x));
        string more = a.Count > shown ? ", …" : "";
        return $"[{a.ElementType} × {a.Count}] [{string.Join(", ", items)}{more}]";
    }

    private static string Quote(string s, int max)
    {
        string t = s.Length > max ? s[..max] + "…" : s;
        return "\"" + t.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t").Replace("\"", "\\\"") + "\"" +
               (s.Length > max ? $" ({s.Length} chars)" : "");
    }
}
