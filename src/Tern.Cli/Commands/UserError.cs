using System.CommandLine;
using Tern.Download;
using Tern.Gguf;
using Tern.Inference;

namespace Tern.Cli.Commands;

/// <summary>A mistake the user can fix; printed as one line, exit code 1.</summary>
public sealed class UserError(string message) : Exception(message);

internal static class CommandRunner
{
    /// <summary>Sets an action that turns every expected failure into one clear line on stderr and exit code 1 — never a stack trace.</summary>
    public static void SetGuardedAction(this Command command, CliIO io, Func<ParseResult, int> action)
    {
        command.SetAction(parse =>
        {
            try
            {
                return action(parse);
            }
            catch (Exception ex) when (Describe(ex) is { } message)
            {
                io.Out.Flush();
                io.Err.WriteLine($"error: {message}");
                return 1;
            }
        });
    }

    private static string? Describe(Exception ex) => ex switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerException!),
        ArgumentException { ParamName: { } name } a => WithoutParameterName(a.Message, name),
        UserError or GgufFormatException or ContextFullException or DownloadException or NotSupportedException
            or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or ArgumentException
            or InvalidDataException or Conversion.BitLlama2cFormatException or Conversion.HfCheckpointException
            or Safetensors.SafetensorsFormatException or Chat.ChatTemplateException => ex.Message,
        IOException io => io.Message,
        OutOfMemoryException => "out of memory (try a smaller -c/--ctx-size)",
        _ => null,
    };

    /// <summary>An ArgumentException's message without the " (Parameter 'x')" .NET appends: users know flags, not parameters.</summary>
    public static string WithoutParameterName(string message, string name)
    {
        string suffix = $" (Parameter '{name}')";
        return message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }
}
