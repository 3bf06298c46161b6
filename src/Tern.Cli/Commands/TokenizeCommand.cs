using System.CommandLine;
using Tern.Gguf;
using Tern.Tokenizers;

namespace Tern.Cli.Commands;

/// <summary>`tern tokenize`: the token ids (and pieces) of a text, like llama.cpp's llama-tokenize. Works on vocabulary-only files.</summary>
internal static class TokenizeCommand
{
    public static Command Create(CliIO io)
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "text to tokenize", Required = true };
        var noBos = new Option<bool>("--no-bos") { Description = "do not add the BOS token" };
        var idsOnly = new Option<bool>("--ids") { Description = "print only the ids, space-separated, on one line" };
        var noParseSpecial = new Option<bool>("--no-parse-special") { Description = "treat special-token text such as <|eot_id|> as plain text" };
        var cmd = new Command("tokenize", "Show the tokens of a text.") { model, prompt, noBos, idsOnly, noParseSpecial };
        cmd.SetGuardedAction(io, p =>
        {
            using var f = GgufFile.Open(CommonOptions.ResolveModel(p.GetValue(model), io, useDefault: false));
            var tok = Tokenizer.FromGguf(f);
            var ids = tok.Encode(p.GetValue(prompt)!, addBos: !p.GetValue(noBos) && tok.AddBosByDefault, parseSpecial: !p.GetValue(noParseSpecial));
            if (p.GetValue(idsOnly))
            {
                io.Out.WriteLine(string.Join(" ", ids));
            }
            else
            {
                foreach (int id in ids)
                    io.Out.WriteLine($"{id,6} -> '{System.Text.Encoding.UTF8.GetString(tok.TokenBytes(id, renderSpecial: true))}'");
            }
            return 0;
        });
        return cmd;
    }
}
