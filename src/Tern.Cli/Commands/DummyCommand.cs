using System.CommandLine;

namespace Tern.Cli.Commands;

internal static class DummyCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("dummy", "(not yet available)");
        cmd.SetGuardedAction(io, _ => throw new UserError("dummy is not available yet"));
        return cmd;
    }
}
