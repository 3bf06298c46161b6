namespace Tern.Tests.Cli;

/// <summary>Runs the `tern` CLI in-process and captures its output.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result Run(params string[] args) => RunWithInput(null, args);

    public static Result RunWithInput(string? stdin, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Tern.Cli.Program.Run(args, o, e, stdin is null ? null : new StringReader(stdin));
        return new Result(code, o.ToString(), e.ToString());
    }
}
