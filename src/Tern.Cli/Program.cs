using System.CommandLine;
using Tern.Cli.Commands;
using Tern.Cli.Parsing;

namespace Tern.Cli;

/// <summary>The `tern` command line. Flags follow llama.cpp's names where they exist.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error, Console.In);

    /// <summary>Runs the CLI with the given streams (tests call this in-process).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null)
    {
        var io = new CliIO(stdout, stderr, stdin ?? TextReader.Null);
        // A plain command named "tern" (not RootCommand, which names itself after the assembly): help says "Usage: tern …".
        var root = new Command("tern", "Tern: a pure-.NET engine for ternary (BitNet b1.58) language models on CPUs.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
            GenerateCommand.Create(io),
            ChatCommand.Create(io),
            InfoCommand.Create(io),
            TokenizeCommand.Create(io),
            EvalCommand.Create(io),
            DummyCommand.Create(io),
            ConvertCommand.Create(io),
            BenchCommand.Create(io),
            ServeCommand.Create(io),
            PerplexityCommand.Create(io),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            // One line, nothing on stdout: not the library's help page and .NET type names.
            stderr.WriteLine($"error: {ParseErrorMessage.Describe(parse)}");
            return 1;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
    }
}

/// <summary>The streams a command writes to and reads from.</summary>
public sealed record CliIO(TextWriter Out, TextWriter Err, TextReader In);
