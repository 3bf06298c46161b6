namespace Tern.Sampling;

/// <summary>
/// The last N tokens of a sequence and how often each occurs among them: a ring buffer plus counts, updated in O(1)
/// per token and allocation-free once the dictionary has grown to the window's distinct tokens.
/// </summary>
internal sealed class PenaltyWindow(int size)
{
    private readonly int[] _ring = new int[size];
    private int _next, _filled;

    public Dictionary<int, int> Counts { get; } = new();

    public void Push(int token)
    {
        if (_filled == _ring.Length)
        {
            int old = _ring[_next];
            if (--Counts[old] == 0) Counts.Remove(old);
        }
        else _filled++;
        _ring[_next] = token;
        _next = (_next + 1) % _ring.Length;
        Counts[token] = Counts.GetValueOrDefault(token) + 1;
    }

    public void Clear()
    {
        _next = _filled = 0;
        Counts.Clear();
    }
}
