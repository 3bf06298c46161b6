namespace Tern.Cli.Commands;

/// <summary>Reads chat messages: one per line, a trailing backslash continues the message on the next line.</summary>
internal static class ChatInput
{
    /// <summary>The next message (lines joined with '\n'), or null at end of input.</summary>
    public static string? ReadMessage(TextReader input)
    {
        string? line = input.ReadLine();
        if (line is null) return null;
        var message = new System.Text.StringBuilder();
        while (line.EndsWith('\\'))
        {
            message.Append(line, 0, line.Length - 1).Append('\n');
            line = input.ReadLine();
            if (line is null) return message.ToString();
        }
        return message.Append(line).ToString();
    }

    public const string Help =
        "/help  this list\n" +
        "/reset or /clear  forget the conversation (the system prompt stays)\n" +
        "/exit or /quit  leave (end of input, Ctrl-D, does too)\n" +
        "end a line with \\ to continue the message on the next line; Ctrl-C interrupts a reply";
}
