using System.Runtime.InteropServices;
using Tern.Cli.BuiltinModel;
using Tern.Dummy;
using Tern.Gguf;
using Tern.Inference;
using Tern.Kernels;
using Tern.Models;
using Tern.Tensors;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Models;

/// <summary>ARM-layout I2_S files are repacked at load, so they give exactly the x86 file's logits with every kernel.</summary>
public sealed class ModelLoaderArmLayoutTests : IDisposable
{
    private readonly TempDir _dir = new();
    private static readonly DummyModelSpec Tiny = DummyModelSpec.Preset("tiny");
    private static readonly int[] Prompt = [509, 72, 105, 259, 32, 258, 7];

    public void Dispose() => _dir.Dispose();

    private static byte[] LogitBytes(string path, ModelOptions options, int[] tokens)
    {
        using var model = Model.Load(path, options);
        using var ev = new Evaluator(model, threads: 2);
        return MemoryMarshal.AsBytes(ev.Decode(new Sequence(model, 64), tokens, allLogits: true).AsSpan()).ToArray();
    }

    [Fact]
    public void TheSameWeightsInArmLayout_GiveByteIdenticalLogits_WithEveryKernel()
    {
        string x86 = _dir.File("x86.gguf"), arm = _dir.File("arm.gguf"), bare = _dir.File("arm-nokey.gguf");
        DummyModelWriter.Write(x86, Tiny);
        DummyModelWriter.Write(arm, Tiny with { I2SLayout = I2SBlockLayout.Arm });
        DummyModelWriter.Write(bare, Tiny with { I2SLayout = I2SBlockLayout.Arm, WriteI2SLayoutKey = false });
        Assert.NotEqual(File.ReadAllBytes(x86), File.ReadAllBytes(bare)); // the codes really are stored differently

        foreach (var kernel in KernelRegistry.Supported)
        {
            var expected = LogitBytes(x86, new ModelOptions { Kernel = kernel }, Prompt);
            Assert.Equal(expected, LogitBytes(arm, new ModelOptions { Kernel = kernel }, Prompt));
            Assert.Equal(expected, LogitBytes(bare, new ModelOptions { Kernel = kernel, I2SLayout = I2SBlockLayout.Arm }, Prompt));
        }
    }

    [Fact]
    public void ReadInTheWrongLayout_TheLogitsChange_SoTheTestAboveHasTeeth()
    {
        string bare = _dir.File("arm-nokey.gguf");
        DummyModelWriter.Write(bare, Tiny with { I2SLayout = I2SBlockLayout.Arm, WriteI2SLayoutKey = false });
        Assert.NotEqual(
            LogitBytes(bare, new ModelOptions { I2SLayout = I2SBlockLayout.Arm }, Prompt),
            LogitBytes(bare, new ModelOptions { I2SLayout = I2SBlockLayout.X86 }, Prompt));
    }

    [Fact]
    public void ATrainedModelInArmLayout_IsDetectedAndRepacked_ToTheSameLogits()
    {
        string x86 = BuiltinModel.EnsureFile(_dir.Path);
        string arm = _dir.File("stories1M-arm.gguf");
        ArmLayoutCopy.Write(x86, arm);
        int[] tokens = [1, 403, 407, 261, 378];
        Assert.Equal(LogitBytes(x86, new ModelOptions(), tokens), LogitBytes(arm, new ModelOptions(), tokens));

        using var model = Model.Load(arm);
        Assert.Equal(I2SBlockLayout.Arm, model.I2SLayout.Layout);
        long i2sBytes = model.File.Tensors.Where(t => t.Type == GgmlType.I2_S).Sum(t => t.ByteSize);
        Assert.Equal(i2sBytes, model.CopiedBytes); // every I2_S tensor repacked, nothing else copied
    }

    [Fact]
    public void ATruncatedArmFile_IsRefusedAtOpen_WithTheTensorNamed()
    {
        string arm = _dir.File("arm.gguf"), cut = _dir.File("cut.gguf");
        DummyModelWriter.Write(arm, Tiny with { I2SLayout = I2SBlockLayout.Arm });
        var bytes = File.ReadAllBytes(arm);
        File.WriteAllBytes(cut, bytes.AsSpan(0, bytes.Length - 100).ToArray());
        var e = Assert.Throws<GgufFormatException>(() => Model.Load(cut, new ModelOptions { I2SLayout = I2SBlockLayout.Arm }));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("tensor '", e.Message);
    }
}
