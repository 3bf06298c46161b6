using System.CommandLine;
using System.CommandLine.Parsing;

namespace Tern.Cli.Parsing;

/// <summary>
/// Turns System.CommandLine's parse errors into the one line a user reads: the flag as typed and what it accepts
/// (never a .NET type name), an unknown flag or command with the closest known one.
/// </summary>
internal static class ParseErrorMessage
{
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        if (parse.UnmatchedTokens.Count > 0) return Unmatched(parse.UnmatchedTokens[0], command);
        foreach (var error in parse.Errors)
            if (OptionOf(error.SymbolResult) is { } option && BadValue(option) is { } message)
                return message;
        var first = parse.Errors[0];
        if (first.SymbolResult is CommandResult r && IsRoot(r.Command) && IsRoot(command))
            return "no command given (try 'tern --help')";
        return first.Message.TrimEnd('.');
    }

    private static bool IsRoot(Command c) => !c.Parents.Any();

    private static OptionResult? OptionOf(SymbolResult? r) => r switch
    {
        OptionResult o => o,
        ArgumentResult { Parent: OptionResult o } => o,
        _ => null,
    };

    /// <summary>"-n expects an integer, got 'abc'" for a value that does not convert to the option's type.</summary>
    private static string? BadValue(OptionResult o)
    {
        if (o.IdentifierToken is null) return $"{string.Join("/", o.Option.Aliases.Order().Append(o.Option.Name))} is required";
        string name = o.IdentifierToken.Value;
        if (o.Tokens.Count == 0) return $"{name} expects {Expected(o.Option.ValueType)}";
        string got = o.Tokens[0].Value;
        return $"{name} expects {Expected(o.Option.ValueType)}, got '{got}'";
    }

    private static string Expected(Type t) => (Nullable.GetUnderlyingType(t) ?? t) switch
    {
        var x when x == typeof(int) => "an integer",
        var x when x == typeof(long) => "an integer",
        var x when x == typeof(float) || x == typeof(double) => "a number",
        var x when x == typeof(bool) => "true or false",
        _ => "a value",
    };

    private static string Unmatched(string token, Command command)
    {
        if (token.StartsWith('-'))
        {
            var names = AllOptions(command).SelectMany(o => o.Aliases.Prepend(o.Name));
            return $"unknown flag '{token}' for '{command.Name}'" + DidYouMean(token, names);
        }
        if (IsRoot(command))
            return $"unknown command '{token}'" + DidYouMean(token, command.Subcommands.Select(c => c.Name));
        return $"unexpected argument '{token}' for '{command.Name}'";
    }

    private static IEnumerable<Option> AllOptions(Command command)
    {
        foreach (var o in command.Options) yield return o;
        foreach (var parent in command.Parents.OfType<Command>())
            foreach (var o in parent.Options.Where(o => o.Recursive)) yield return o;
    }

    /// <summary>" (did you mean '--temp'?)" when one known name is within a few edits of what was typed.</summary>
    private static string DidYouMean(string typed, IEnumerable<string> known)
    {
        string core = typed.TrimStart('-');
        var best = known
            .Select(k => (Name: k, Distance: EditDistance.Between(core, k.TrimStart('-'))))
            .Where(c => c.Distance <= Math.Max(1, core.Length / 3) || IsAbbreviation(core, c.Name.TrimStart('-')))
            .OrderBy(c => c.Distance).ThenBy(c => -c.Name.Length)
            .FirstOrDefault();
        return best.Name is null ? "" : $" (did you mean '{best.Name}'?)";
    }

    /// <summary>"--temperature" for "--temp", "--thread" for "--threads": one name starts with the other.</summary>
    private static bool IsAbbreviation(string a, string b) =>
        Math.Min(a.Length, b.Length) >= 3 && (a.StartsWith(b, StringComparison.OrdinalIgnoreCase) || b.StartsWith(a, StringComparison.OrdinalIgnoreCase));
}
