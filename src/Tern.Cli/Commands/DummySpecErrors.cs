using System.Text.RegularExpressions;
using Tern.Dummy;

namespace Tern.Cli.Commands;

/// <summary>Rewords <see cref="DummyModelSpec"/>'s errors in `tern dummy`'s flags: "--hidden 256 is not a multiple of --heads 3", not "Dim … (Parameter 'Dim')".</summary>
internal static partial class DummySpecErrors
{
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["Dim"] = "--hidden", ["Heads"] = "--heads", ["KvHeads"] = "--kv-heads", ["FfnDim"] = "--ffn",
        ["Layers"] = "--layers", ["VocabSize"] = "--vocab", ["ContextLength"] = "--ctx", ["Architecture"] = "--arch",
    };

    public static DummyModelSpec InFlagTerms(Func<DummyModelSpec> build)
    {
        try
        {
            return build();
        }
        catch (ArgumentException e)
        {
            string message = CommandRunner.WithoutParameterName(e.Message, e.ParamName ?? "");
            message = FieldName().Replace(message, m => Flags[m.Groups[1].Value]);
            message = message.Replace("unknown dummy model preset", "unknown --preset", StringComparison.Ordinal);
            throw new UserError(message);
        }
    }

    [GeneratedRegex(@"\b(Dim|Heads|KvHeads|FfnDim|Layers|VocabSize|ContextLength|Architecture)\b( =(?= -?\d+ is outside))?")]
    private static partial Regex FieldName();
}
