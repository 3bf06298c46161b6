using Tern.Inference;

namespace Tern.Serving;

/// <summary>The tokens of one scheduler step, each with the slot it belongs to; reused step after step.</summary>
internal sealed class BatchBuilder(int capacity)
{
    private readonly BatchToken[] _tokens = new BatchToken[capacity];
    private readonly Slot[] _slots = new Slot[capacity];
    private float[] _scratch = [];

    public int Count { get; private set; }
    public int Room => _tokens.Length - Count;
    public ReadOnlySpan<BatchToken> Tokens => _tokens.AsSpan(0, Count);

    public void Clear() => Count = 0;

    /// <summary>Adds a slot's next token at the position after everything the slot has fed so far in this step.</summary>
    public void Add(Slot slot, int token, bool wantLogits)
    {
        int position = slot.Sequence.Length;
        for (int i = Count - 1; i >= 0 && position == slot.Sequence.Length; i--)
            if (_slots[i] == slot) position = _tokens[i].Position + 1;
        _tokens[Count] = new BatchToken(token, position, slot.Sequence.Cache, wantLogits);
        _slots[Count++] = slot;
    }

    public (Slot Slot, int Token, bool WantLogits) Entry(int i) => (_slots[i], _tokens[i].Token, _tokens[i].WantLogits);

    /// <summary>A buffer for one row of logits that sampling may modify.</summary>
    public Span<float> Scratch(int length)
    {
        if (_scratch.Length < length) _scratch = new float[length];
        return _scratch.AsSpan(0, length);
    }
}
