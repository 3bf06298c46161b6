using System.CommandLine;

namespace Tern.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("bench", "(not yet available)");
        cmd.SetGuardedAction(io, _ => throw new UserError("bench is not available yet"));
        return cmd;
    }
}
