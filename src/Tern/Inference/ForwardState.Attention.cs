namespace Tern.Inference;

public sealed partial class ForwardState
{
    /// <summary>Writes this batch's K and V rows into each token's cache at its position.</summary>
    public void StoreKv(int layer)
    {
        long __t = OpProfile.Start();
        int kvd = Config.KvDim;
        for (int t = 0; t < Count; t++)
        {
            var bt = _batch[t];
            int hd = Config.HeadDim;
            for (int h = 0; h < Config.KvHeads; h++)
                bt.Cache.Store(layer, h, bt.Position, K.AsSpan(t * kvd + h * hd, hd), V.AsSpan(t * kvd + h * hd, hd));
        }
        OpProfile.Stop("store-kv", __t);
    }

    /// <summary>Causal self-attention of every token over its own sequence's cache (positions 0..its own), into <see cref="Attn"/>.</summary>
    public void Attention(int layer, float scale)
    {
        long __t = OpProfile.Start();
        _attention.Layer = layer;
        _attention.Scale = scale;
        _attention.NextCall();
        long work = 0; // scores and weighted sums: 2 · heads · head size per cached position of each token
        for (int t = 0; t < Count; t++) work += 2L * Config.Heads * Config.HeadDim * (_batch[t].Position + 1);
        Pool.For(Count * Config.KvHeads, _attention, work: work);
        OpProfile.Stop("attention", __t);
    }
}
