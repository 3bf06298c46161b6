using Tern.Tokenizers;

namespace Tern.Chat;

/// <summary>A conversation rendered with a chat template and tokenized, ready to continue with the assistant's turn.</summary>
public static class ChatPrompt
{
    /// <summary>
    /// Renders <paramref name="turns"/> with the generation prompt and tokenizes the text with special tokens parsed.
    /// BOS is added only when the model wants one and the template did not write it itself.
    /// </summary>
    public static int[] Encode(ChatTemplate template, Tokenizer tokenizer, IReadOnlyList<ChatTurn> turns)
    {
        string rendered = template.Render(turns, addGenerationPrompt: true);
        bool hasBos = template.BosToken.Length > 0 && rendered.StartsWith(template.BosToken, StringComparison.Ordinal);
        return tokenizer.Encode(rendered, addBos: !hasBos && tokenizer.AddBosByDefault, parseSpecial: true);
    }
}
