using static Tern.Chat.Jinja.JinjaValues;

namespace Tern.Chat.Jinja;

/// <summary>
/// Global functions (<c>range</c>, <c>namespace</c>, <c>dict</c>, and Hugging Face's <c>raise_exception</c> and
/// <c>strftime_now</c>) and the Python methods templates call on strings and dicts. Mutating methods
/// (<c>list.append</c>, <c>dict.update</c>…) do not exist here, as in HF's ImmutableSandboxedEnvironment.
/// </summary>
internal sealed partial class JinjaRenderer
{
    private void AddGlobals(Scope globals)
    {
        globals.Set("range", new JinjaFunction("range", Range));
        globals.Set("namespace", new JinjaFunction("namespace", args =>
        {
            var ns = new JinjaNamespace();
            foreach (var positional in args.Positional)
            {
                if (positional is not Dictionary<string, object?> initial) throw new JinjaError("namespace() takes keyword arguments or a dict");
                foreach (var kv in initial) ns.Attributes[kv.Key] = kv.Value;
            }
            foreach (var kv in args.Keyword) ns.Attributes[kv.Key] = kv.Value;
            return ns;
        }));
        globals.Set("dict", new JinjaFunction("dict", args =>
        {
            var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var kv in args.Keyword) dict[kv.Key] = kv.Value;
            return dict;
        }));
        globals.Set("raise_exception", new JinjaFunction("raise_exception", args =>
            throw new JinjaError(ToStr(args.Get(0, "message", "raise_exception() called")), ChatTemplateErrorKind.RaisedByTemplate)));
        globals.Set("strftime_now", new JinjaFunction("strftime_now", args =>
            Strftime.Format(_now(), args.Get(0, "format") as string ?? throw new JinjaError("strftime_now() needs a format string"))));
    }

    private object? Range(Arguments args)
    {
        args.Check("range", 3);
        if (args.Positional.Count == 0) throw new JinjaError("range expected at least 1 argument, got 0");
        long start = 0, step = 1, stop;
        if (args.Positional.Count == 1) stop = ToLong(args.Positional[0]);
        else
        {
            start = ToLong(args.Positional[0]);
            stop = ToLong(args.Positional[1]);
            if (args.Positional.Count == 3) step = ToLong(args.Positional[2]);
        }
        if (step == 0) throw new JinjaError("range() arg 3 must not be zero");
        double count = Math.Ceiling(((double)stop - start) / step);
        if (count > _limits.MaxRange) throw new JinjaError($"range too big: {count} items (limit {_limits.MaxRange})", ChatTemplateErrorKind.LimitExceeded);
        var result = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) result.Add(i);
        return result;
    }

    private static JinjaFunction Method(string name, Func<Arguments, object?> body) => new(name, body);

    private static string? OptionalString(Arguments args, int index, string name) => args.Get(index, name) switch
    {
        null => null,
        string s => s,
        var other => throw new JinjaError($"{name} must be a string or None, not {TypeName(other)}"),
    };

    private JinjaFunction? StringMethod(string s, string name) => name switch
    {
        "strip" => Method(name, a => PyString.Strip(s, OptionalString(a, 0, "chars"), true, true)),
        "lstrip" => Method(name, a => PyString.Strip(s, OptionalString(a, 0, "chars"), true, false)),
        "rstrip" => Method(name, a => PyString.Strip(s, OptionalString(a, 0, "chars"), false, true)),
        "lower" => Method(name, _ => s.ToLowerInvariant()),
        "upper" => Method(name, _ => s.ToUpperInvariant()),
        "title" => Method(name, _ => PyString.PythonTitle(s)),
        "capitalize" => Method(name, _ => PyString.Capitalize(s)),
        "startswith" => Method(name, a => AffixMatch(s, a.Get(0, "prefix"), prefix: true)),
        "endswith" => Method(name, a => AffixMatch(s, a.Get(0, "suffix"), prefix: false)),
        "split" => Method(name, a => PyString.Split(s, OptionalString(a, 0, "sep"), ToLong(a.Get(1, "maxsplit", -1L)))),
        "rsplit" => Method(name, a => PyString.RSplit(s, OptionalString(a, 0, "sep"), ToLong(a.Get(1, "maxsplit", -1L)))),
        "splitlines" => Method(name, a => PyString.SplitLines(s, IsTruthy(a.Get(0, "keepends", false)))),
        "replace" => Method(name, a => PyString.Replace(s, ToStr(a.Get(0, "old")), ToStr(a.Get(1, "new")), ToLong(a.Get(2, "count", -1L)), _limits.MaxOutputChars)),
        "find" => Method(name, a => (long)s.IndexOf(ToStr(a.Get(0, "sub")), StringComparison.Ordinal)),
        "rfind" => Method(name, a => (long)s.LastIndexOf(ToStr(a.Get(0, "sub")), StringComparison.Ordinal)),
        "count" => Method(name, a => CountOccurrences(s, ToStr(a.Get(0, "sub")))),
        "join" => Method(name, a => CheckLength(string.Join(s, Iterate(a.Get(0, "iterable")).Select(ToStr)))),
        "format" => Method(name, a => CheckLength(PyString.Format(s, a))),
        "isdigit" => Method(name, _ => s.Length > 0 && s.All(char.IsDigit)),
        "isalpha" => Method(name, _ => s.Length > 0 && s.All(char.IsLetter)),
        "isalnum" => Method(name, _ => s.Length > 0 && s.All(char.IsLetterOrDigit)),
        "isspace" => Method(name, _ => s.Length > 0 && s.All(PyString.IsWhitespace)),
        "islower" => Method(name, _ => s.Any(char.IsLetter) && s == s.ToLowerInvariant()),
        "isupper" => Method(name, _ => s.Any(char.IsLetter) && s == s.ToUpperInvariant()),
        _ => null,
    };

    private static bool AffixMatch(string s, object? affix, bool prefix) => affix switch
    {
        string one => prefix ? s.StartsWith(one, StringComparison.Ordinal) : s.EndsWith(one, StringComparison.Ordinal),
        List<object?> any => any.Exists(a => AffixMatch(s, a, prefix)),
        _ => throw new JinjaError($"{(prefix ? "startswith" : "endswith")} first arg must be str or a tuple of str, not {TypeName(affix)}"),
    };

    private static long CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return PyString.Length(s) + 1;
        long n = 0;
        for (int at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static JinjaFunction? DictMethod(Dictionary<string, object?> dict, string name) => name switch
    {
        "items" => Method(name, _ => dict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()),
        "keys" => Method(name, _ => dict.Keys.Cast<object?>().ToList()),
        "values" => Method(name, _ => dict.Values.ToList()),
        "get" => Method(name, a => a.Get(0, "key") is string key && dict.TryGetValue(key, out var v) ? v : a.Get(1, "default")),
        _ => null,
    };
}
