namespace Tern.Chat.Jinja;

internal enum TokenKind
{
    /// <summary>Literal template text (whitespace control already applied).</summary>
    Text,
    /// <summary><c>{{</c></summary>
    VariableBegin,
    /// <summary><c>}}</c></summary>
    VariableEnd,
    /// <summary><c>{%</c></summary>
    BlockBegin,
    /// <summary><c>%}</c></summary>
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    /// <summary>Punctuation and operators: + - * / // % ** ~ == != &lt; &lt;= &gt; &gt;= = . , : | ( ) [ ] { }</summary>
    Operator,
    Eof,
}

/// <param name="Text">Source spelling (names, operators) or the literal text for <see cref="TokenKind.Text"/>.</param>
/// <param name="Position">Offset of the token in the normalised source, for error messages.</param>
/// <param name="Value">The decoded value of String (string), Integer (long) and Float (double) tokens.</param>
internal readonly record struct Token(TokenKind Kind, string Text, int Position, object? Value = null)
{
    public bool IsOperator(string op) => Kind == TokenKind.Operator && Text == op;
    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;

    public string Describe() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.VariableBegin => "'{{'",
        TokenKind.BlockBegin => "'{%'",
        TokenKind.Text => "template text",
        TokenKind.String => "string literal",
        _ => $"'{Text}'",
    };
}
