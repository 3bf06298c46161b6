using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using static Tern.Chat.Jinja.JinjaValues;

namespace Tern.Chat.Jinja;

/// <summary>
/// Jinja's built-in filters that chat templates use, with Jinja 3.1's argument names and defaults
/// (selectattr/select/map/join return lists, where Jinja returns generators — the same for every use in a template).
/// <c>tojson</c> is Hugging Face's version (see <see cref="JinjaJson"/>).
/// </summary>
internal sealed partial class JinjaRenderer
{
    private object? ApplyFilter(string name, object? value, Arguments args)
    {
        switch (name)
        {
            case "trim":
                args.Check(name, 1, "chars");
                return PyString.Strip(ToStr(value), args.Get(0, "chars") is string chars ? chars : null, left: true, right: true);
            case "upper": return ToStr(value).ToUpperInvariant();
            case "lower": return ToStr(value).ToLowerInvariant();
            case "capitalize": return PyString.Capitalize(ToStr(value));
            case "title": return PyString.JinjaTitle(ToStr(value));
            case "string": return ToStr(value);
            case "safe": return value;
            case "escape" or "e" or "forceescape": return HtmlEscape(ToStr(value));
            case "pprint": return Repr(value);
            case "length" or "count": return Length(value);
            case "wordcount": return (long)Regex.Count(ToStr(value), @"\w+");
            case "default" or "d":
                args.Check(name, 2, "default_value", "boolean");
                bool useFalsy = IsTruthy(args.Get(1, "boolean", false));
                return value is Undefined || (useFalsy && !IsTruthy(value)) ? args.Get(0, "default_value", "") : value;
            case "replace":
                args.Check(name, 3, "old", "new", "count");
                if (args.Get(0, "old") is not string oldValue || args.Get(1, "new") is not { } newValue)
                    throw new JinjaError("replace() needs two string arguments");
                return PyString.Replace(ToStr(value), oldValue, ToStr(newValue), args.Get(2, "count") is { } count ? ToLong(count) : -1, _limits.MaxOutputChars);
            case "tojson":
                return ToJson(value, args);
            case "items":
                return value switch
                {
                    Dictionary<string, object?> dict => dict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
                    Undefined => new List<object?>(),
                    _ => throw new JinjaError($"items filter: can only get item pairs from a mapping, not {TypeName(value)}"),
                };
            case "list": return new List<object?>(Iterate(value));
            case "first": return FirstOrLast(value, first: true);
            case "last": return FirstOrLast(value, first: false);
            case "reverse":
                if (value is string text) return string.Concat(PyString.Characters(text).Cast<string>().Reverse());
                return Enumerable.Reverse(Iterate(value)).ToList();
            case "join": return Join(value, args);
            case "select" or "reject": return Select(value, args, byAttribute: false, keep: name == "select");
            case "selectattr" or "rejectattr": return Select(value, args, byAttribute: true, keep: name == "selectattr");
            case "map": return Map(value, args);
            case "attr": return GetAttribute(value, ToStr(args.Get(0, "name")));
            case "sort": return Sort(value, args);
            case "dictsort": return DictSort(value, args);
            case "unique": return Unique(value, args);
            case "min" or "max": return MinMax(value, args, name == "max");
            case "sum":
                args.Check(name, 2, "attribute", "start");
                object? sum = args.Get(1, "start", 0L);
                string? sumAttribute = args.Get(0, "attribute") as string;
                foreach (var item in Iterate(value)) sum = Add(sum, sumAttribute == null ? item : GetAttributePath(item, sumAttribute));
                return sum;
            case "int": return ToInt(value, args);
            case "float": return ToFloat(value, args.Get(0, "default", 0.0));
            case "abs":
                return value switch
                {
                    double d => Math.Abs(d),
                    long or bool => Checked(() => Math.Abs(ToLong(value))),
                    _ => throw new JinjaError($"bad operand type for abs(): '{TypeName(value)}'"),
                };
            case "round": return Round(value, args);
            case "indent": return Indent(ToStr(value), args);
            case "format": return PrintfFormat(ToStr(value), args);
            default:
                throw new JinjaError($"unknown filter '{name}'", ChatTemplateErrorKind.Unsupported);
        }
    }

    private static string HtmlEscape(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

    private object? ToJson(object? value, Arguments args)
    {
        args.Check("tojson", 1, "indent", "ensure_ascii", "separators", "sort_keys");
        string? indent = args.Get(0, "indent") switch
        {
            null => null,
            string s => s,
            long n => new string(' ', (int)Math.Clamp(n, 0, 64)),
            var other => throw new JinjaError($"tojson: indent must be an integer or string, not {TypeName(other)}"),
        };
        string? itemSeparator = null, keySeparator = null;
        if (args.Get(-1, "separators") is List<object?> { Count: 2 } separators)
        {
            itemSeparator = ToStr(separators[0]);
            keySeparator = ToStr(separators[1]);
        }
        return JinjaJson.Serialize(value, indent, IsTruthy(args.Get(-1, "sort_keys", false)), IsTruthy(args.Get(-1, "ensure_ascii", false)),
            itemSeparator, keySeparator, _limits.MaxOutputChars);
    }

    private static object? FirstOrLast(object? value, bool first)
    {
        if (value is Undefined) return value;
        var items = Iterate(value);
        if (items.Count == 0) return new Undefined($"{(first ? "first" : "last")}(): the sequence is empty");
        return first ? items[0] : items[^1];
    }

    /// <summary>A dotted attribute path as Jinja's make_attrgetter reads it: "a.b.0" is item lookups a, b, then index 0.</summary>
    private object? GetAttributePath(object? item, string path)
    {
        foreach (var part in path.Split('.'))
        {
            item = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long index) ? GetItem(item, index) : GetItem(item, part);
        }
        return item;
    }

    private string Join(object? value, Arguments args)
    {
        args.Check("join", 2, "d", "attribute");
        string separator = ToStr(args.Get(0, "d", ""));
        string? attribute = args.Get(1, "attribute") is { } a ? ToStr(a) : null;
        var sb = new StringBuilder();
        bool firstItem = true;
        foreach (var item in Iterate(value))
        {
            if (!firstItem) sb.Append(separator);
            firstItem = false;
            sb.Append(ToStr(attribute == null ? item : GetAttributePath(item, attribute)));
            if (sb.Length > _limits.MaxOutputChars) throw new JinjaError($"join(): string longer than {_limits.MaxOutputChars} characters", ChatTemplateErrorKind.LimitExceeded);
        }
        return sb.ToString();
    }

    /// <summary><c>select(test, args…)</c>, <c>reject</c>, <c>selectattr(attr, test, args…)</c>, <c>rejectattr</c>; with no test, truthiness decides.</summary>
    private List<object?> Select(object? value, Arguments args, bool byAttribute, bool keep)
    {
        int offset = byAttribute ? 1 : 0;
        string? attribute = null;
        if (byAttribute)
        {
            if (args.Positional.Count == 0) throw new JinjaError("selectattr/rejectattr need an attribute name");
            attribute = ToStr(args.Positional[0]);
        }
        string? test = args.Positional.Count > offset ? ToStr(args.Positional[offset]) : null;
        var testArgs = args.Positional.Skip(offset + 1).ToList();
        var result = new List<object?>();
        foreach (var item in Iterate(value))
        {
            Step(0);
            var subject = attribute == null ? item : GetAttributePath(item, attribute);
            bool passed = test == null ? IsTruthy(subject) : RunTest(test, subject, testArgs);
            if (passed == keep) result.Add(item);
        }
        return result;
    }

    /// <summary><c>map(attribute='x', default=…)</c> or <c>map('filter', args…)</c>.</summary>
    private List<object?> Map(object? value, Arguments args)
    {
        var items = Iterate(value);
        if (args.Has(-1, "attribute"))
        {
            string attribute = ToStr(args.Get(-1, "attribute"));
            bool hasDefault = args.Has(-1, "default");
            return items.Select(item =>
            {
                var v = GetAttributePath(item, attribute);
                return v is Undefined && hasDefault ? args.Get(-1, "default") : v;
            }).ToList();
        }
        if (args.Positional.Count == 0) throw new JinjaError("map() needs a filter name or attribute=");
        string filter = ToStr(args.Positional[0]);
        var rest = new Arguments(args.Positional.Skip(1).ToList(), args.Keyword);
        return items.Select(item =>
        {
            Step(0);
            return ApplyFilter(filter, item, rest);
        }).ToList();
    }

    /// <summary>The sort key: an attribute path if given, lower-cased when the comparison is case-insensitive.</summary>
    private Func<object?, object?> SortKey(object? attribute, bool caseSensitive) => item =>
    {
        var key = attribute is string path ? GetAttributePath(item, path) : item;
        return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
    };

    private static readonly Comparer<object?> PythonOrder = Comparer<object?>.Create((a, b) => Compare(a, b, "<"));

    private List<object?> Sort(object? value, Arguments args)
    {
        args.Check("sort", 3, "reverse", "case_sensitive", "attribute");
        var key = SortKey(args.Get(2, "attribute"), IsTruthy(args.Get(1, "case_sensitive", false)));
        var items = Iterate(value);
        var sorted = IsTruthy(args.Get(0, "reverse", false)) ? items.OrderByDescending(key, PythonOrder) : items.OrderBy(key, PythonOrder);
        return sorted.ToList();
    }

    private List<object?> DictSort(object? value, Arguments args)
    {
        args.Check("dictsort", 3, "case_sensitive", "by", "reverse");
        if (value is not Dictionary<string, object?> dict) throw new JinjaError("dictsort(): expected a mapping");
        bool caseSensitive = IsTruthy(args.Get(0, "case_sensitive", false));
        int position = ToStr(args.Get(1, "by", "key")) switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw new JinjaError("dictsort(): 'by' must be 'key' or 'value'"),
        };
        var pairs = dict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList();
        Func<object?, object?> key = pair =>
        {
            var k = ((List<object?>)pair!)[position];
            return !caseSensitive && k is string s ? s.ToLowerInvariant() : k;
        };
        var sorted = IsTruthy(args.Get(2, "reverse", false)) ? pairs.OrderByDescending(key, PythonOrder) : pairs.OrderBy(key, PythonOrder);
        return sorted.ToList();
    }

    private List<object?> Unique(object? value, Arguments args)
    {
        args.Check("unique", 2, "case_sensitive", "attribute");
        var key = SortKey(args.Get(1, "attribute"), IsTruthy(args.Get(0, "case_sensitive", false)));
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in Iterate(value))
        {
            var k = key(item);
            if (seen.Exists(s => AreEqual(s, k))) continue;
            seen.Add(k);
            result.Add(item);
        }
        return result;
    }

    private object? MinMax(object? value, Arguments args, bool max)
    {
        args.Check(max ? "max" : "min", 2, "case_sensitive", "attribute");
        var key = SortKey(args.Get(1, "attribute"), IsTruthy(args.Get(0, "case_sensitive", false)));
        var items = Iterate(value);
        if (items.Count == 0) return new Undefined($"{(max ? "max" : "min")}(): the sequence is empty");
        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            int c = Compare(key(item), key(best), "<");
            if (max ? c > 0 : c < 0) best = item;
        }
        return best;
    }

    private static object? ToInt(object? value, Arguments args)
    {
        args.Check("int", 2, "default", "base");
        var fallback = args.Get(0, "default", 0L);
        int numberBase = (int)ToLong(args.Get(1, "base", 10L));
        switch (value)
        {
            case long or bool: return ToLong(value);
            case double d: return double.IsFinite(d) && Math.Abs(d) < 9.2e18 ? (long)Math.Truncate(d) : fallback;
            case string s:
                string t = s.Trim().Replace("_", "");
                if (numberBase == 10 && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
                if (numberBase is 2 or 8 or 16)
                {
                    try
                    {
                        string digits = t.Length > 2 && t[0] == '0' && char.IsLetter(t[1]) ? t[2..] : t;
                        return Convert.ToInt64(digits, numberBase);
                    }
                    catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
                    {
                        return fallback;
                    }
                }
                return ToFloat(s, null) is double f && Math.Abs(f) < 9.2e18 ? (long)Math.Truncate(f) : fallback;
            default: return fallback;
        }
    }

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        double d => d,
        long or bool => (double)ToLong(value),
        string s when double.TryParse(s.Trim().Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        _ => fallback,
    };

    private static object? Round(object? value, Arguments args)
    {
        args.Check("round", 2, "precision", "method");
        double v = ToDouble(value);
        int precision = (int)Math.Clamp(ToLong(args.Get(0, "precision", 0L)), -15, 15);
        double scale = Math.Pow(10, precision);
        return ToStr(args.Get(1, "method", "common")) switch
        {
            "common" => precision >= 0 ? Math.Round(v, precision, MidpointRounding.ToEven) : Math.Round(v * scale, MidpointRounding.ToEven) / scale,
            "ceil" => Math.Ceiling(v * scale) / scale,
            "floor" => Math.Floor(v * scale) / scale,
            _ => throw new JinjaError("round(): method must be 'common', 'ceil' or 'floor'"),
        };
    }

    /// <summary>Jinja 3.1's indent(width=4, first=False, blank=False).</summary>
    private static string Indent(string s, Arguments args)
    {
        args.Check("indent", 3, "width", "first", "blank");
        string indentation = args.Get(0, "width", 4L) is string w ? w : new string(' ', (int)Math.Clamp(ToLong(args.Get(0, "width", 4L)), 0, 256));
        var lines = PyString.SplitLines(s + "\n").Cast<string>().ToList();
        string result;
        if (IsTruthy(args.Get(2, "blank", false)))
        {
            result = string.Join("\n" + indentation, lines);
        }
        else
        {
            result = lines[0];
            if (lines.Count > 1) result += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? indentation + line : line));
        }
        return IsTruthy(args.Get(1, "first", false)) ? indentation + result : result;
    }

    /// <summary>The <c>format</c> filter (<c>"%s, %s" | format(a, b)</c>) for %s, %r, %d, %i and %%.</summary>
    private static string PrintfFormat(string format, Arguments args)
    {
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            char code = format[++i];
            if (code == '%')
            {
                sb.Append('%');
                continue;
            }
            if (next >= args.Positional.Count) throw new JinjaError("format(): not enough arguments for format string");
            var arg = args.Positional[next++];
            sb.Append(code switch
            {
                's' => ToStr(arg),
                'r' => Repr(arg),
                'd' or 'i' => ToLong(arg is double d ? (object)(long)Math.Truncate(d) : arg).ToString(CultureInfo.InvariantCulture),
                _ => throw new JinjaError($"format(): unsupported conversion '%{code}'", ChatTemplateErrorKind.Unsupported),
            });
        }
        return sb.ToString();
    }
}
