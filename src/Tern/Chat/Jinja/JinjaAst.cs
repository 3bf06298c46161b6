namespace Tern.Chat.Jinja;

// The syntax tree. Every node carries the source offset it came from so runtime errors can point at it.

// ---- statements ----

internal abstract record Stmt(int Pos);

internal sealed record TextStmt(int Pos, string Text) : Stmt(Pos);

/// <summary><c>{{ expr }}</c></summary>
internal sealed record OutputStmt(int Pos, Expr Value) : Stmt(Pos);

internal sealed record IfStmt(int Pos, IReadOnlyList<(Expr Test, IReadOnlyList<Stmt> Body)> Branches, IReadOnlyList<Stmt>? Else) : Stmt(Pos);

/// <summary><c>{% for target in iterable [if filter] %} body [{% else %} empty] {% endfor %}</c></summary>
internal sealed record ForStmt(int Pos, AssignTarget Target, Expr Iterable, Expr? Filter, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt>? Else) : Stmt(Pos);

/// <summary><c>{% set target = value %}</c></summary>
internal sealed record SetStmt(int Pos, AssignTarget Target, Expr Value) : Stmt(Pos);

/// <summary><c>{% set name %}body{% endset %}</c>: captures rendered text into a variable.</summary>
internal sealed record SetBlockStmt(int Pos, string Name, IReadOnlyList<Stmt> Body) : Stmt(Pos);

internal sealed record MacroStmt(int Pos, string Name, IReadOnlyList<(string Name, Expr? Default)> Parameters, IReadOnlyList<Stmt> Body) : Stmt(Pos);

/// <summary><c>{% with a = 1, b = 2 %}…{% endwith %}</c>: a nested scope.</summary>
internal sealed record WithStmt(int Pos, IReadOnlyList<(string Name, Expr Value)> Bindings, IReadOnlyList<Stmt> Body) : Stmt(Pos);

internal sealed record BreakStmt(int Pos) : Stmt(Pos);

internal sealed record ContinueStmt(int Pos) : Stmt(Pos);

// ---- assignment targets ----

internal abstract record AssignTarget(int Pos);

internal sealed record NameTarget(int Pos, string Name) : AssignTarget(Pos);

/// <summary><c>a, b</c> — unpacks a sequence.</summary>
internal sealed record TupleTarget(int Pos, IReadOnlyList<AssignTarget> Items) : AssignTarget(Pos);

/// <summary><c>ns.attr</c> — only namespace() objects accept attribute assignment.</summary>
internal sealed record AttributeTarget(int Pos, string Object, string Attribute) : AssignTarget(Pos);

// ---- expressions ----

internal abstract record Expr(int Pos);

internal sealed record LiteralExpr(int Pos, object? Value) : Expr(Pos);

internal sealed record NameExpr(int Pos, string Name) : Expr(Pos);

internal sealed record ListExpr(int Pos, IReadOnlyList<Expr> Items) : Expr(Pos);

/// <summary>A tuple literal; evaluates to a list (templates only iterate, index and test membership on tuples).</summary>
internal sealed record TupleExpr(int Pos, IReadOnlyList<Expr> Items) : Expr(Pos);

internal sealed record DictExpr(int Pos, IReadOnlyList<(Expr Key, Expr Value)> Items) : Expr(Pos);

/// <summary><c>obj.name</c>: Python attribute first (string/dict methods), then item lookup, else undefined.</summary>
internal sealed record AttributeExpr(int Pos, Expr Object, string Name) : Expr(Pos);

/// <summary><c>obj[index]</c>: item lookup first, then attribute, else undefined.</summary>
internal sealed record ItemExpr(int Pos, Expr Object, Expr Index) : Expr(Pos);

/// <summary><c>obj[start:stop:step]</c></summary>
internal sealed record SliceExpr(int Pos, Expr Object, Expr? Start, Expr? Stop, Expr? Step) : Expr(Pos);

internal sealed record CallExpr(int Pos, Expr Callee, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs) : Expr(Pos);

/// <summary><c>operand | name(args)</c></summary>
internal sealed record FilterExpr(int Pos, Expr Operand, string Name, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs) : Expr(Pos);

/// <summary><c>operand is [not] name(args)</c></summary>
internal sealed record TestExpr(int Pos, Expr Operand, string Name, IReadOnlyList<Expr> Args, bool Negated) : Expr(Pos);

/// <summary>Unary <c>-</c>, <c>+</c> or <c>not</c>.</summary>
internal sealed record UnaryExpr(int Pos, string Op, Expr Operand) : Expr(Pos);

/// <summary>Arithmetic and <c>~</c>: <c>+ - * / // % ** ~</c>.</summary>
internal sealed record BinaryExpr(int Pos, string Op, Expr Left, Expr Right) : Expr(Pos);

/// <summary>Short-circuit <c>and</c> / <c>or</c> (they return an operand, as in Python).</summary>
internal sealed record LogicalExpr(int Pos, bool IsAnd, Expr Left, Expr Right) : Expr(Pos);

/// <summary>A comparison chain <c>a &lt; b &lt;= c</c>; ops are == != &lt; &lt;= &gt; &gt;= in notin.</summary>
internal sealed record CompareExpr(int Pos, Expr First, IReadOnlyList<(string Op, Expr Operand)> Rest) : Expr(Pos);

/// <summary><c>then if test else otherwise</c>; a missing else yields undefined.</summary>
internal sealed record ConditionalExpr(int Pos, Expr Test, Expr Then, Expr? Otherwise) : Expr(Pos);
