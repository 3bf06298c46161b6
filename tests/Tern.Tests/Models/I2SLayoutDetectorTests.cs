using Tern.Cli.BuiltinModel;
using Tern.Dummy;
using Tern.Gguf;
using Tern.Models;
using Tern.Tensors;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Models;

public sealed class I2SLayoutDetectorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static I2SLayoutDecision Decide(string path, I2SBlockLayout? requested = null)
    {
        using var file = GgufFile.Open(path);
        return I2SLayoutDetector.Decide(file, requested);
    }

    private string Dummy(string name, DummyModelSpec spec)
    {
        string path = _dir.File(name);
        DummyModelWriter.Write(path, spec);
        return path;
    }

    private static readonly DummyModelSpec Tiny = DummyModelSpec.Preset("tiny");

    /// <summary>
    /// The built-in model is bitllama2.c's trained TinyStories model (1.2 M ternary weights, converted as x86 I2_S,
    /// no layout key): its weights show the layout both ways round — the case the statistic exists for.
    /// </summary>
    [Fact]
    public void ATrainedModel_IsRecognizedInBothLayouts_FromItsWeightsAlone()
    {
        string x86 = BuiltinModel.EnsureFile(_dir.Path);
        string arm = _dir.File("stories1M-arm.gguf");
        ArmLayoutCopy.Write(x86, arm);

        var asX86 = Decide(x86);
        Assert.Equal((I2SBlockLayout.X86, I2SLayoutSource.WeightStatistics), (asX86.Layout, asX86.Source));
        var asArm = Decide(arm);
        Assert.Equal((I2SBlockLayout.Arm, I2SLayoutSource.WeightStatistics), (asArm.Layout, asArm.Source));
        Assert.Contains("unit coupling", asArm.Reason);
    }

    [Fact]
    public void RandomWeights_WithoutTheKey_AreInconclusive_AndAssumeX86_WithAWarningThatNamesTheOverride()
    {
        foreach (var layout in new[] { I2SBlockLayout.X86, I2SBlockLayout.Arm })
        {
            var d = Decide(Dummy($"random-{layout}.gguf", Tiny with { I2SLayout = layout, WriteI2SLayoutKey = false }));
            Assert.Equal((I2SBlockLayout.X86, I2SLayoutSource.Assumed), (d.Layout, d.Source));
            Assert.Contains("inconclusive", d.Reason);
            Assert.Contains("--i2s-layout arm", d.Reason);
        }
    }

    [Fact]
    public void TheFilesKey_IsTrusted_AndAnOverrideWinsOverIt()
    {
        string arm = Dummy("arm.gguf", Tiny with { I2SLayout = I2SBlockLayout.Arm });
        var d = Decide(arm);
        Assert.Equal((I2SBlockLayout.Arm, I2SLayoutSource.Metadata), (d.Layout, d.Source));
        var forced = Decide(arm, I2SBlockLayout.X86);
        Assert.Equal((I2SBlockLayout.X86, I2SLayoutSource.Override), (forced.Layout, forced.Source));
    }

    [Fact]
    public void ABadKeyValue_IsRefusedByName()
    {
        string path = _dir.File("bad-key.gguf");
        new GgufWriter()
            .Add("general.architecture", "test")
            .Add(I2SLayoutDetector.MetadataKey, "sparc")
            .AddTensor("w", GgmlType.I2_S, [128, 1], new byte[I2S.ByteSize(128)])
            .WriteTo(path);
        var e = Assert.Throws<GgufFormatException>(() => Decide(path));
        Assert.Contains(I2SLayoutDetector.MetadataKey, e.Message);
        Assert.Contains("'sparc'", e.Message);
    }

    [Fact]
    public void AFileWithoutI2S_NeedsNoDecision()
    {
        var d = Decide(Dummy("tq2.gguf", Tiny with { WeightType = GgmlType.TQ2_0 }));
        Assert.Equal(I2SLayoutSource.NoI2STensors, d.Source);
    }
}
