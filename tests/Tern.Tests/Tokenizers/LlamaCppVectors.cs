using System.Text;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Tokenizers;

/// <summary>
/// llama.cpp's tokenizer test vectors (oracle/tokenizers/vectors/*.inp/.out). The .inp file holds each input followed
/// by "\n__ggml_vocab_test__\n" — the newline before the marker belongs to the separator, not to the input, so an input
/// that is "\n" appears as a blank line. The .out file has one line per input: the expected ids (without BOS), each
/// preceded by a space; an empty input has an empty line.
/// </summary>
public static class LlamaCppVectors
{
    public const string Separator = "\n__ggml_vocab_test__\n";

    public static List<(string Input, int[] Expected)> Load(string vocabName)
    {
        string dir = SharedData.PathOf("oracle", "tokenizers", "vectors");
        string inp = File.ReadAllText(Path.Combine(dir, vocabName + ".inp"), new UTF8Encoding(false, true));
        string[] outLines = File.ReadAllText(Path.Combine(dir, vocabName + ".out")).Split('\n');

        var inputs = new List<string>();
        int pos = 0;
        while (pos < inp.Length)
        {
            int next = inp.IndexOf(Separator, pos, StringComparison.Ordinal);
            if (next < 0) throw new InvalidDataException($"{vocabName}.inp: text after the last separator");
            inputs.Add(inp[pos..next]);
            pos = next + Separator.Length;
        }
        // The .out file ends with a newline, so splitting leaves one empty string after the last line.
        if (outLines.Length != inputs.Count + 1 || outLines[^1].Length != 0)
            throw new InvalidDataException($"{vocabName}: {inputs.Count} inputs but {outLines.Length - 1} output lines");
        return inputs.Select((input, i) => (input, outLines[i]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())).ToList();
    }

    /// <summary>Every case that does not encode as expected, described for an assertion message.</summary>
    public static List<string> Mismatches(Func<string, int[]> encode, List<(string Input, int[] Expected)> cases)
    {
        var failures = new List<string>();
        foreach (var (input, expected) in cases)
        {
            int[] actual = encode(input);
            if (!actual.SequenceEqual(expected))
                failures.Add($"input {Escape(input)}: expected [{string.Join(' ', expected)}] got [{string.Join(' ', actual)}]");
        }
        return failures;
    }

    public static string Escape(string s) =>
        "\"" + s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t") + "\"";
}
