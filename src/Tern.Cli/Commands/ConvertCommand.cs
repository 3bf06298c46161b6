using System.CommandLine;

namespace Tern.Cli.Commands;

internal static class ConvertCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("convert", "(not yet available)");
        cmd.SetGuardedAction(io, _ => throw new UserError("convert is not available yet"));
        return cmd;
    }
}
