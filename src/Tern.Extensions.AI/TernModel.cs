using Tern.Chat;
using Tern.Models;
using Tern.Serving;
using Tern.Tokenizers;

namespace Tern.Extensions.AI;

/// <summary>
/// A loaded model with its tokenizer, chat template and scheduler: what <see cref="TernChatClient"/> and
/// <see cref="TernEmbeddingGenerator"/> share, so that every caller in the process is batched by one scheduler.
/// </summary>
public sealed class TernModel : IDisposable
{
    private TernModel(Model model, Tokenizer tokenizer, ChatTemplate template, Scheduler scheduler, string id)
    {
        Model = model;
        Tokenizer = tokenizer;
        Template = template;
        Scheduler = scheduler;
        Id = id;
    }

    public Model Model { get; }
    public Tokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }
    public Scheduler Scheduler { get; }
    /// <summary>The model id reported in responses (the file name without its extension).</summary>
    public string Id { get; }

    /// <summary>
    /// Loads a GGUF model and starts its scheduler (4 slots unless <paramref name="options"/> say otherwise);
    /// <paramref name="modelOptions"/> choose the kernel or the I2_S layout (<see cref="ModelOptions"/>).
    /// </summary>
    public static TernModel Load(string path, SchedulerOptions? options = null, ModelOptions? modelOptions = null)
    {
        var model = Model.Load(path, modelOptions);
        try
        {
            var tokenizer = Tokenizer.FromGguf(model.File);
            var scheduler = new Scheduler(model, tokenizer, options ?? new SchedulerOptions());
            return new TernModel(model, tokenizer, ChatTemplate.FromGguf(model.File), scheduler, Path.GetFileNameWithoutExtension(path));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Scheduler.Dispose();
        Model.Dispose();
    }
}
