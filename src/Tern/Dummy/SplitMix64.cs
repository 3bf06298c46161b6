using System.Runtime.CompilerServices;
using System.Text;

namespace Tern.Dummy;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014; the seeding generator of xoshiro): one 64-bit add and a 3-step mix per
/// output. Fast, stateless to fork, and fully specified here, so a seed gives the same stream on every machine and
/// .NET version (unlike <see cref="Random"/>, whose algorithm is an implementation detail).
/// </summary>
internal struct SplitMix64(ulong seed)
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private ulong _state = seed;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Next() => Mix(_state += Golden);

    /// <summary>A float in [0, 1) from the top 24 bits.</summary>
    public float NextFloat() => (Next() >> 40) * (1f / (1 << 24));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// The generator of one named stream: the seed and the FNV-1a hash of <paramref name="name"/>'s UTF-8 bytes, mixed.
    /// (string.GetHashCode is randomized per process, so it cannot be used.)
    /// </summary>
    public static SplitMix64 ForName(ulong seed, string name)
    {
        ulong h = 0xCBF29CE484222325;
        foreach (byte b in Encoding.UTF8.GetBytes(name)) h = (h ^ b) * 0x100000001B3;
        return new SplitMix64(Mix(seed ^ Mix(h)));
    }
}
