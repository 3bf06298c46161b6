using System.Globalization;
using System.Text;

namespace Tern.Chat.Jinja;

/// <summary>
/// Python <c>str</c> semantics that differ from .NET's: indexing, length and slicing count code points (not UTF-16
/// units), whitespace includes U+001C..U+001F, and <c>split()</c>/<c>title()</c>/<c>capitalize()</c> follow CPython.
/// </summary>
internal static class PyString
{
    public static bool IsWhitespace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    private static bool HasSurrogates(string s)
    {
        foreach (char c in s)
        {
            if (char.IsSurrogate(c)) return true;
        }
        return false;
    }

    /// <summary>The string's code points as one-character strings (Python's iteration over a str).</summary>
    public static List<object?> Characters(string s)
    {
        var result = new List<object?>(s.Length);
        if (!HasSurrogates(s))
        {
            foreach (char c in s) result.Add(c.ToString());
            return result;
        }
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                result.Add(s.Substring(i, 2));
                i++;
            }
            else result.Add(s[i].ToString());
        }
        return result;
    }

    public static int Length(string s) => HasSurrogates(s) ? Characters(s).Count : s.Length;

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        int start = 0, end = s.Length;
        Func<char, bool> strip = chars == null ? IsWhitespace : chars.Contains;
        if (left) while (start < end && strip(s[start])) start++;
        if (right) while (end > start && strip(s[end - 1])) end--;
        return s[start..end];
    }

    /// <summary>Python <c>str.split(sep=None, maxsplit=-1)</c>.</summary>
    public static List<object?> Split(string s, string? sep, long maxSplit)
    {
        var parts = new List<object?>();
        if (sep == null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsWhitespace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && parts.Count >= maxSplit)
                {
                    parts.Add(Strip(s[i..], null, left: false, right: true));
                    break;
                }
                int start = i;
                while (i < s.Length && !IsWhitespace(s[i])) i++;
                parts.Add(s[start..i]);
            }
            return parts;
        }
        if (sep.Length == 0) throw new JinjaError("empty separator");
        int from = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = s.IndexOf(sep, from, StringComparison.Ordinal);
            if (at < 0) break;
            parts.Add(s[from..at]);
            from = at + sep.Length;
        }
        parts.Add(s[from..]);
        return parts;
    }

    /// <summary>Python <c>str.rsplit(sep, maxsplit)</c> (only differs from split when maxsplit limits the count).</summary>
    public static List<object?> RSplit(string s, string? sep, long maxSplit)
    {
        if (maxSplit < 0 || sep == null) return Split(s, sep, maxSplit);
        if (sep.Length == 0) throw new JinjaError("empty separator");
        var parts = new List<object?>();
        int to = s.Length;
        while (parts.Count < maxSplit)
        {
            int at = to == 0 ? -1 : s.LastIndexOf(sep, to - 1, StringComparison.Ordinal);
            if (at < 0 || at + sep.Length > to) break;
            parts.Insert(0, s[(at + sep.Length)..to]);
            to = at;
        }
        parts.Insert(0, s[..to]);
        return parts;
    }

    /// <summary>Python <c>str.splitlines()</c> for the common line boundaries (\n, \r\n, \r, \v, \f, \x1c-\x1e, \x85, U+2028, U+2029).</summary>
    public static List<object?> SplitLines(string s, bool keepEnds = false)
    {
        var lines = new List<object?>();
        int start = 0, i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            int breakLength = c switch
            {
                '\r' when i + 1 < s.Length && s[i + 1] == '\n' => 2,
                '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029' => 1,
                _ => 0,
            };
            if (breakLength == 0)
            {
                i++;
                continue;
            }
            lines.Add(s[start..(keepEnds ? i + breakLength : i)]);
            i += breakLength;
            start = i;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    /// <summary>Python <c>str.capitalize()</c>: first character upper-cased, the rest lower-cased.</summary>
    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python <c>str.title()</c>: a letter following a non-letter is upper-cased, other letters lower-cased ("they're" → "They'Re").</summary>
    public static string PythonTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            bool cased = char.IsLetter(c);
            sb.Append(cased ? (previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) : c);
            previousCased = cased;
        }
        return sb.ToString();
    }

    /// <summary>Jinja's <c>title</c> filter: words start after whitespace, '-', '(', '{', '[' or '&lt;' ("they're" → "They're").</summary>
    public static string JinjaTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool wordStart = true;
        foreach (char c in s)
        {
            bool separator = char.IsWhiteSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            sb.Append(separator ? c : wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            wordStart = separator;
        }
        return sb.ToString();
    }

    /// <summary>Python <c>str.replace(old, new, count)</c>, including the empty-pattern case.</summary>
    public static string Replace(string s, string oldValue, string newValue, long count, int maxChars)
    {
        if (count == 0) return s;
        var sb = new StringBuilder();
        long done = 0;
        if (oldValue.Length == 0)
        {
            var chars = Characters(s);
            for (int i = 0; i <= chars.Count; i++)
            {
                if (count < 0 || done < count)
                {
                    sb.Append(newValue);
                    done++;
                }
                if (i < chars.Count) sb.Append((string)chars[i]!);
                if (sb.Length > maxChars) throw new JinjaError($"string longer than {maxChars} characters", ChatTemplateErrorKind.LimitExceeded);
            }
            return sb.ToString();
        }
        int from = 0;
        while (count < 0 || done < count)
        {
            int at = s.IndexOf(oldValue, from, StringComparison.Ordinal);
            if (at < 0) break;
            sb.Append(s, from, at - from).Append(newValue);
            if (sb.Length > maxChars) throw new JinjaError($"string longer than {maxChars} characters", ChatTemplateErrorKind.LimitExceeded);
            from = at + oldValue.Length;
            done++;
        }
        sb.Append(s, from, s.Length - from);
        return sb.ToString();
    }

    /// <summary>Python's slice index arithmetic: the indices selected by [start:stop:step] in a sequence of <paramref name="length"/>.</summary>
    public static List<int> SliceIndices(int length, long? start, long? stop, long? step)
    {
        long st = step ?? 1;
        if (st == 0) throw new JinjaError("slice step cannot be zero");
        long lower = st > 0 ? 0 : -1, upper = st > 0 ? length : length - 1;
        long Clamp(long? v, long fallback)
        {
            if (v is null) return fallback;
            long x = v.Value < 0 ? v.Value + length : v.Value;
            return Math.Clamp(x, lower, upper);
        }
        long from = Clamp(start, st > 0 ? lower : upper);
        long to = Clamp(stop, st > 0 ? upper : lower);
        var result = new List<int>();
        for (long i = from; st > 0 ? i < to : i > to; i += st) result.Add((int)i);
        return result;
    }

    /// <summary>Python's <c>str.format</c> for the forms templates use: <c>{}</c>, <c>{0}</c>, <c>{name}</c>, <c>{{</c>, <c>}}</c> (no format specs).</summary>
    public static string Format(string format, Arguments args)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '{' && i + 1 < format.Length && format[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < format.Length && format[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c == '}') throw new JinjaError("single '}' encountered in format string");
            if (c != '{')
            {
                sb.Append(c);
                continue;
            }
            int close = format.IndexOf('}', i);
            if (close < 0) throw new JinjaError("single '{' encountered in format string");
            string field = format[(i + 1)..close];
            if (field.Contains(':') || field.Contains('!')) throw new JinjaError("format specifications are not supported in str.format", ChatTemplateErrorKind.Unsupported);
            object? value;
            if (field.Length == 0) value = Positional(args, auto++);
            else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int index)) value = Positional(args, index);
            else if (!args.Has(-1, field)) throw new JinjaError($"missing format argument '{field}'");
            else value = args.Get(-1, field);
            sb.Append(JinjaValues.ToStr(value));
            i = close;
        }
        return sb.ToString();
    }

    private static object? Positional(Arguments args, int index) =>
        index < args.Positional.Count ? args.Positional[index] : throw new JinjaError($"format index {index} out of range");
}
