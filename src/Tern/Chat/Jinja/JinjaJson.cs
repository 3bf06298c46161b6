using System.Globalization;
using System.Text;

namespace Tern.Chat.Jinja;

/// <summary>
/// The <c>tojson</c> filter exactly as Hugging Face defines it for chat templates:
/// <c>json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)</c>.
/// Python's defaults: separators are <c>", "</c> and <c>": "</c> without indent, <c>","</c> and <c>": "</c> with it;
/// strings escape only <c>"</c>, <c>\</c> and control characters (lower-case <c>\u00xx</c>); floats use Python's repr.
/// (Plain Jinja's tojson would also HTML-escape &lt; &gt; &amp; ' — HF replaces it, so templates see the version here.)
/// </summary>
internal static class JinjaJson
{
    public static string Serialize(object? value, string? indent, bool sortKeys, bool ensureAscii, string? itemSeparator, string? keySeparator, int maxChars)
    {
        var writer = new Writer(indent, sortKeys, ensureAscii, itemSeparator ?? (indent == null ? ", " : ","), keySeparator ?? ": ", maxChars);
        writer.Write(value, 0);
        return writer.Result;
    }

    private sealed class Writer(string? indent, bool sortKeys, bool ensureAscii, string itemSeparator, string keySeparator, int maxChars)
    {
        private readonly StringBuilder _sb = new();

        public string Result => _sb.ToString();

        public void Write(object? value, int level)
        {
            if (level > 64) throw new JinjaError("tojson: value nested too deeply", ChatTemplateErrorKind.LimitExceeded);
            if (_sb.Length > maxChars) throw new JinjaError($"tojson: output longer than {maxChars} characters", ChatTemplateErrorKind.LimitExceeded);
            switch (value)
            {
                case null: _sb.Append("null"); break;
                case bool b: _sb.Append(b ? "true" : "false"); break;
                case long l: _sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d:
                    _sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : JinjaValues.FormatFloat(d));
                    break;
                case string s: WriteString(s); break;
                case List<object?> list:
                    WriteContainer('[', ']', list.Count, level, i => Write(list[i], level + 1));
                    break;
                case Dictionary<string, object?> dict:
                    var keys = dict.Keys.ToList();
                    if (sortKeys) keys.Sort(string.CompareOrdinal);
                    WriteContainer('{', '}', keys.Count, level, i =>
                    {
                        WriteString(keys[i]);
                        _sb.Append(keySeparator);
                        Write(dict[keys[i]], level + 1);
                    });
                    break;
                default:
                    throw new JinjaError($"tojson: object of type '{JinjaValues.TypeName(value)}' is not JSON serializable");
            }
        }

        private void WriteContainer(char open, char close, int count, int level, Action<int> writeItem)
        {
            _sb.Append(open);
            if (count == 0)
            {
                _sb.Append(close);
                return;
            }
            for (int i = 0; i < count; i++)
            {
                if (i > 0) _sb.Append(itemSeparator);
                NewLine(level + 1);
                writeItem(i);
            }
            NewLine(level);
            _sb.Append(close);
        }

        private void NewLine(int level)
        {
            if (indent == null) return;
            _sb.Append('\n');
            for (int i = 0; i < level; i++) _sb.Append(indent);
        }

        private void WriteString(string s)
        {
            _sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': _sb.Append("\\\""); break;
                    case '\\': _sb.Append("\\\\"); break;
                    case '\n': _sb.Append("\\n"); break;
                    case '\r': _sb.Append("\\r"); break;
                    case '\t': _sb.Append("\\t"); break;
                    case '\b': _sb.Append("\\b"); break;
                    case '\f': _sb.Append("\\f"); break;
                    default:
                        if (c < 0x20 || (ensureAscii && c > 0x7E))
                            _sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else
                            _sb.Append(c);
                        break;
                }
            }
            _sb.Append('"');
        }
    }
}
