using static Tern.Chat.Jinja.JinjaValues;

namespace Tern.Chat.Jinja;

/// <summary>Jinja's <c>is</c>-tests (<c>x is defined</c>, <c>x is not none</c>, <c>x is equalto 3</c>…), also used by select/reject.</summary>
internal sealed partial class JinjaRenderer
{
    private bool RunTest(string name, object? value, List<object?> args)
    {
        object? Arg()
        {
            if (args.Count != 1) throw new JinjaError($"test '{name}' takes exactly one argument ({args.Count} given)");
            return args[0];
        }

        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "integer" => value is long,
            "float" => value is double,
            "number" => value is long or double or bool,
            "string" => value is string,
            "mapping" => value is Dictionary<string, object?>,
            // Python: anything with __iter__ — str, list, dict, and Jinja's Undefined (which iterates as empty).
            "iterable" => value is string or List<object?> or Dictionary<string, object?> or Undefined,
            "sequence" => value is string or List<object?> or Dictionary<string, object?> or Undefined,
            "callable" => value is JinjaFunction or JinjaMacro,
            "sameas" => IsSameAs(value, Arg()),
            "equalto" or "eq" or "==" => AreEqual(value, Arg()),
            "ne" or "!=" => !AreEqual(value, Arg()),
            "lt" or "lessthan" or "<" => Compare(value, Arg(), "<") < 0,
            "le" or "<=" => Compare(value, Arg(), "<=") <= 0,
            "gt" or "greaterthan" or ">" => Compare(value, Arg(), ">") > 0,
            "ge" or ">=" => Compare(value, Arg(), ">=") >= 0,
            "in" => Contains(Arg(), value),
            "odd" => ToLong(value) % 2 != 0,
            "even" => ToLong(value) % 2 == 0,
            "divisibleby" => ToLong(Arg()) is var d && d != 0 ? ToLong(value) % d == 0 : throw new JinjaError("divisibleby(0)"),
            "lower" => value is string s && s == s.ToLowerInvariant(),
            "upper" => value is string u && u == u.ToUpperInvariant(),
            "escaped" => false,
            _ => throw new JinjaError($"unknown test '{name}'", ChatTemplateErrorKind.Unsupported),
        };
    }

    /// <summary>Python <c>is</c>: None/True/False are singletons; for other values identity is approximated by equal value and type.</summary>
    private static bool IsSameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (bool x, bool y) => x == y,
        (bool, _) or (_, bool) => false,
        (long x, long y) => x == y,
        (string x, string y) => x == y,
        _ => ReferenceEquals(a, b),
    };
}
