using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Tern.Chat.Jinja;

/// <summary>
/// Splits a template into text and tag tokens, applying whitespace control the way Hugging Face configures
/// Jinja for chat templates (<c>trim_blocks=True, lstrip_blocks=True</c>):
/// <list type="bullet">
/// <item><c>{%- … -%}</c>, <c>{{- … -}}</c>, <c>{#- … -#}</c>: a minus strips all whitespace (newlines included) on that side.</item>
/// <item>trim_blocks: the first newline after a <c>%}</c> or <c>#}</c> is removed (not after <c>}}</c>); <c>+%}</c> keeps it.</item>
/// <item>lstrip_blocks: spaces and tabs between the start of a line and a <c>{%</c> or <c>{#</c> are removed; <c>{%+</c> keeps them.</item>
/// </list>
/// Inside tags the expression is tokenised immediately, so a <c>%}</c> or <c>}}</c> inside a string literal or
/// inside unbalanced brackets does not end the tag (as in Jinja).
/// </summary>
internal sealed class JinjaLexer
{
    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}"];

    private static readonly Regex EndRaw = new(@"\{%([-+]?)\s*endraw\s*([-+]?)%\}", RegexOptions.CultureInvariant);

    private readonly JinjaSource _source;
    private readonly string _s;
    private readonly List<Token> _tokens = [];
    private int _pos;
    /// <summary>Whether the text about to be read starts a line (template start, or the previous tag ended with a consumed newline) — Jinja's line_starting.</summary>
    private bool _lineStarting = true;

    private JinjaLexer(JinjaSource source)
    {
        _source = source;
        _s = source.Text;
    }

    public static List<Token> Tokenize(JinjaSource source)
    {
        var lexer = new JinjaLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private void Run()
    {
        while (_pos < _s.Length)
        {
            int tag = FindTagStart(_pos);
            if (tag < 0)
            {
                EmitText(_s[_pos..]);
                break;
            }
            char kind = _s[tag + 1];
            char modifier = tag + 2 < _s.Length ? _s[tag + 2] : '\0';
            EmitText(ApplyLeftWhitespaceControl(_s[_pos..tag], kind, modifier));
            int inner = tag + 2 + (modifier is '-' or '+' ? 1 : 0);
            switch (kind)
            {
                case '#': LexComment(tag, inner); break;
                case '%':
                    if (!TryLexRaw(tag, inner)) LexTag(tag, inner, isBlock: true);
                    break;
                default: LexTag(tag, inner, isBlock: false); break;
            }
        }
        _tokens.Add(new Token(TokenKind.Eof, "", _s.Length));
    }

    private int FindTagStart(int from)
    {
        int i = from;
        while (true)
        {
            i = _s.IndexOf('{', i);
            if (i < 0 || i + 1 >= _s.Length) return -1;
            char c = _s[i + 1];
            if (c is '{' or '%' or '#') return i;
            i++;
        }
    }

    private string ApplyLeftWhitespaceControl(string text, char kind, char modifier)
    {
        if (modifier == '-') return text.TrimEnd();
        if (kind == '{' || modifier == '+') return text;
        // lstrip_blocks: only when nothing but spaces/tabs precede the tag on its line.
        int lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !_lineStarting) return text;
        for (int i = lineStart; i < text.Length; i++)
        {
            if (text[i] is not (' ' or '\t')) return text;
        }
        return text[..lineStart];
    }

    private void EmitText(string text)
    {
        if (text.Length > 0) _tokens.Add(new Token(TokenKind.Text, text, _pos));
    }

    /// <summary>Moves past a tag end: a minus eats all following whitespace; trim_blocks eats one newline after block/comment tags.</summary>
    private void FinishTag(int afterEnd, bool stripAll, bool trimNewline)
    {
        int p = afterEnd;
        if (stripAll)
        {
            while (p < _s.Length && char.IsWhiteSpace(_s[p])) p++;
        }
        else if (trimNewline && p < _s.Length && _s[p] == '\n')
        {
            p++;
        }
        _lineStarting = p > 0 && _s[p - 1] == '\n';
        _pos = p;
    }

    private void LexComment(int tag, int inner)
    {
        int end = _s.IndexOf("#}", inner, StringComparison.Ordinal);
        if (end < 0) throw _source.Error(tag, "unterminated comment: '{#' without '#}'");
        bool strip = end > inner && _s[end - 1] == '-';
        FinishTag(end + 2, strip, trimNewline: true);
    }

    /// <summary><c>{% raw %}…{% endraw %}</c>: everything in between is text.</summary>
    private bool TryLexRaw(int tag, int inner)
    {
        int p = inner;
        while (p < _s.Length && char.IsWhiteSpace(_s[p])) p++;
        if (string.CompareOrdinal(_s, p, "raw", 0, 3) != 0) return false;
        p += 3;
        while (p < _s.Length && char.IsWhiteSpace(_s[p])) p++;
        char mod = p < _s.Length ? _s[p] : '\0';
        if (mod is '-' or '+') p++;
        if (string.CompareOrdinal(_s, p, "%}", 0, 2) != 0) return false;
        FinishTag(p + 2, mod == '-', mod != '+');
        var m = EndRaw.Match(_s, _pos);
        if (!m.Success) throw _source.Error(tag, "unterminated '{% raw %}' block: missing '{% endraw %}'");
        string text = _s[_pos..m.Index];
        if (m.Groups[1].Value == "-") text = text.TrimEnd();
        EmitText(text);
        FinishTag(m.Index + m.Length, m.Groups[2].Value == "-", m.Groups[2].Value != "+");
        return true;
    }

    private void LexTag(int tag, int inner, bool isBlock)
    {
        _tokens.Add(new Token(isBlock ? TokenKind.BlockBegin : TokenKind.VariableBegin, isBlock ? "{%" : "{{", tag));
        var brackets = new Stack<(char Open, int Position)>();
        int p = inner;
        while (true)
        {
            while (p < _s.Length && char.IsWhiteSpace(_s[p])) p++;
            if (p >= _s.Length)
            {
                throw _source.Error(tag, brackets.Count > 0
                    ? $"unterminated tag: '{brackets.Peek().Open}' opened here is never closed and the tag has no end"
                    : $"unterminated tag: '{(isBlock ? "{%" : "{{")}' without '{(isBlock ? "%}" : "}}")}'");
            }
            if (brackets.Count == 0 && TryTagEnd(p, isBlock, out int afterEnd, out bool strip, out bool keepNewline))
            {
                _tokens.Add(new Token(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, isBlock ? "%}" : "}}", p));
                FinishTag(afterEnd, strip, trimNewline: isBlock && !keepNewline);
                return;
            }
            p = LexExpressionToken(p, brackets);
        }
    }

    private bool TryTagEnd(int p, bool isBlock, out int afterEnd, out bool strip, out bool keepNewline)
    {
        string close = isBlock ? "%}" : "}}";
        strip = keepNewline = false;
        afterEnd = 0;
        if (_s[p] is '-' or '+' && string.CompareOrdinal(_s, p + 1, close, 0, 2) == 0)
        {
            if (_s[p] == '+' && !isBlock) return false; // '+}}' is not a tag end; '+' is an operator there
            strip = _s[p] == '-';
            keepNewline = _s[p] == '+';
            afterEnd = p + 3;
            return true;
        }
        if (string.CompareOrdinal(_s, p, close, 0, 2) == 0)
        {
            afterEnd = p + 2;
            return true;
        }
        return false;
    }

    private int LexExpressionToken(int p, Stack<(char Open, int Position)> brackets)
    {
        char c = _s[p];
        if (c is '\'' or '"') return LexString(p);
        if (char.IsAsciiDigit(c)) return LexNumber(p);
        if (char.IsLetter(c) || c == '_')
        {
            int end = p + 1;
            while (end < _s.Length && (char.IsLetterOrDigit(_s[end]) || _s[end] == '_')) end++;
            _tokens.Add(new Token(TokenKind.Name, _s[p..end], p));
            return end;
        }
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_s, p, op, 0, op.Length) != 0) continue;
            if (op is "(" or "[" or "{") brackets.Push((op[0], p));
            else if (op is ")" or "]" or "}")
            {
                char expected = op == ")" ? '(' : op == "]" ? '[' : '{';
                if (brackets.Count == 0 || brackets.Peek().Open != expected)
                {
                    throw _source.Error(p, brackets.Count == 0
                        ? $"unexpected '{op}'"
                        : $"unexpected '{op}', expected '{Closing(brackets.Peek().Open)}' to close '{brackets.Peek().Open}'");
                }
                brackets.Pop();
            }
            _tokens.Add(new Token(TokenKind.Operator, op, p));
            return p + op.Length;
        }
        throw _source.Error(p, $"unexpected character '{c}' in tag");
    }

    private static char Closing(char open) => open switch { '(' => ')', '[' => ']', _ => '}' };

    private int LexNumber(int start)
    {
        int p = ScanDigits(start);
        bool isFloat = false;
        bool afterDot = _tokens.Count > 0 && _tokens[^1].IsOperator("."); // foo.0.1 is two item lookups, not a float
        if (!afterDot && p + 1 < _s.Length && _s[p] == '.' && char.IsAsciiDigit(_s[p + 1]))
        {
            p = ScanDigits(p + 1);
            isFloat = true;
        }
        if (!afterDot && p < _s.Length && _s[p] is 'e' or 'E')
        {
            int q = p + 1;
            if (q < _s.Length && _s[q] is '+' or '-') q++;
            if (q < _s.Length && char.IsAsciiDigit(_s[q]))
            {
                p = ScanDigits(q);
                isFloat = true;
            }
        }
        string text = _s[start..p];
        string digits = text.Replace("_", "");
        if (isFloat)
        {
            _tokens.Add(new Token(TokenKind.Float, text, start, double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        else
        {
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw _source.Error(start, $"integer literal {text} is too large");
            _tokens.Add(new Token(TokenKind.Integer, text, start, value));
        }
        return p;
    }

    private int ScanDigits(int p)
    {
        while (p < _s.Length && (char.IsAsciiDigit(_s[p]) || (_s[p] == '_' && p + 1 < _s.Length && char.IsAsciiDigit(_s[p + 1])))) p++;
        return p;
    }

    /// <summary>A quoted string with Python escapes (Jinja decodes literals with Python's unicode-escape codec).</summary>
    private int LexString(int start)
    {
        char quote = _s[start];
        var sb = new StringBuilder();
        int p = start + 1;
        while (true)
        {
            if (p >= _s.Length) throw _source.Error(start, "unterminated string literal");
            char c = _s[p];
            if (c == quote) break;
            if (c != '\\')
            {
                sb.Append(c);
                p++;
                continue;
            }
            if (p + 1 >= _s.Length) throw _source.Error(start, "unterminated string literal");
            p = Unescape(p, sb);
        }
        _tokens.Add(new Token(TokenKind.String, _s[start..(p + 1)], start, sb.ToString()));
        return p + 1;
    }

    /// <summary>Decodes the escape at <paramref name="p"/> (a backslash); returns the position after it.</summary>
    private int Unescape(int p, StringBuilder sb)
    {
        char e = _s[p + 1];
        switch (e)
        {
            case '\n': return p + 2; // line continuation
            case '\\': sb.Append('\\'); return p + 2;
            case '\'': sb.Append('\''); return p + 2;
            case '"': sb.Append('"'); return p + 2;
            case 'a': sb.Append('\a'); return p + 2;
            case 'b': sb.Append('\b'); return p + 2;
            case 'f': sb.Append('\f'); return p + 2;
            case 'n': sb.Append('\n'); return p + 2;
            case 'r': sb.Append('\r'); return p + 2;
            case 't': sb.Append('\t'); return p + 2;
            case 'v': sb.Append('\v'); return p + 2;
            case 'x': return AppendHex(p, 2, sb);
            case 'u': return AppendHex(p, 4, sb);
            case 'U': return AppendHex(p, 8, sb);
        }
        if (e is >= '0' and <= '7')
        {
            int q = p + 1, value = 0;
            while (q < _s.Length && q < p + 4 && _s[q] is >= '0' and <= '7') value = value * 8 + (_s[q++] - '0');
            sb.Append((char)value);
            return q;
        }
        sb.Append('\\').Append(e); // Python keeps unknown escapes as written
        return p + 2;
    }

    private int AppendHex(int p, int count, StringBuilder sb)
    {
        int start = p + 2;
        if (start + count > _s.Length || !int.TryParse(_s.AsSpan(start, count), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code)
            || _s.AsSpan(start, count).ContainsAny('+', '-') || code > 0x10FFFF)
        {
            throw _source.Error(p, $"invalid \\{_s[p + 1]} escape in string literal");
        }
        if (code >= 0x10000) sb.Append(char.ConvertFromUtf32(code));
        else sb.Append((char)code);
        return start + count;
    }
}
