using Tern.Inference;

namespace Tern.Serving;

/// <summary>
/// One of the scheduler's sequences. Between requests it keeps its cached tokens, so the next request whose prompt
/// starts with them (a chat sending its history again) computes only what is new; under memory pressure an idle
/// slot's cache is dropped first, least recently used first.
/// </summary>
internal sealed class Slot(int index, Sequence sequence)
{
    public int Index { get; } = index;
    public Sequence Sequence { get; } = sequence;
    public ActiveRequest? Request { get; set; }
    /// <summary>KV bytes reserved in the budget for this slot: at least what its cache holds.</summary>
    public long ReservedBytes { get; set; }
    /// <summary>When the slot last finished a request (for least-recently-used eviction).</summary>
    public long LastUsed { get; set; }
    public bool IsIdle => Request is null;
}
