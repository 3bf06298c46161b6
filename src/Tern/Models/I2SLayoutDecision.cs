using Tern.Tensors;

namespace Tern.Models;

/// <summary>How the I2_S layout of a file was decided.</summary>
public enum I2SLayoutSource
{
    /// <summary>The caller said which (<see cref="ModelOptions.I2SLayout"/>, <c>--i2s-layout</c>).</summary>
    Override,
    /// <summary>The file says so in <see cref="I2SLayoutDetector.MetadataKey"/> (Tern's dummy writer sets it; bitnet.cpp writes nothing).</summary>
    Metadata,
    /// <summary>The file has no I2_S tensor; the layout does not matter.</summary>
    NoI2STensors,
    /// <summary>The weights themselves showed it (see <see cref="I2SLayoutDetector"/>).</summary>
    WeightStatistics,
    /// <summary>Nothing showed it; the x86 layout was assumed (a warning worth showing the user).</summary>
    Assumed,
}

/// <summary>The I2_S layout a model was loaded with, how that was decided, and a one-line reason to show.</summary>
public sealed record I2SLayoutDecision(I2SBlockLayout Layout, I2SLayoutSource Source, string Reason)
{
    /// <summary>The name used on the command line and in messages: "x86" or "arm".</summary>
    public static string Name(I2SBlockLayout layout) => layout == I2SBlockLayout.Arm ? "arm" : "x86";

    /// <summary>Parses "x86" or "arm" (any case); null for anything else.</summary>
    public static I2SBlockLayout? Parse(string? name) => name?.ToLowerInvariant() switch
    {
        "x86" => I2SBlockLayout.X86,
        "arm" => I2SBlockLayout.Arm,
        _ => null,
    };

    public override string ToString() => $"I2_S layout {Name(Layout)} ({Reason})";
}
