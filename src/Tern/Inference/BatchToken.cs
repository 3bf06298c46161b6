namespace Tern.Inference;

/// <summary>One token of a forward pass: its id, its position in its own sequence, that sequence's cache, and whether its logits are wanted.</summary>
public readonly record struct BatchToken(int Token, int Position, KvCache Cache, bool WantLogits);
