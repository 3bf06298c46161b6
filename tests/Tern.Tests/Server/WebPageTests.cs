using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Tern.Dummy;
using Tern.Server.Hosting;
using Tern.Server.WebPage;
using Tern.Tests.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace Tern.Tests.Server;

/// <summary>
/// The web chat page at / in a real browser: headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright,
/// against a TernServer with the tiny random model. Streaming, Stop, New chat, settings, errors, the API key, and that
/// markup in a reply is shown as text and never runs. Set TERN_WEBPAGE_SCREENSHOTS to a folder to keep screenshots.
/// </summary>
public sealed class WebPageTests(WebPageTests.Fixture fixture) : IClassFixture<WebPageTests.Fixture>
{
    private const float Timeout = 15_000; // ms, for every Playwright wait

    /// <summary>One server with the tiny model and one browser for the class; each test opens its own browser context.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempDir _dir = new();
        private IPlaywright? _playwright;
        private IBrowser? _browser;

        public string ModelPath => _dir.File("tiny-test.gguf");
        public TernServer Server { get; private set; } = null!;
        public IBrowser Browser => _browser ?? throw new InvalidOperationException(Chromium.SkipReason);

        public async Task InitializeAsync()
        {
            DummyModelWriter.Write(ModelPath, DummyModelSpec.Preset("tiny") with { Seed = 3 });
            Server = await TernServer.StartAsync(new ServerOptions { ModelPath = ModelPath, Port = 0, Slots = 2 });
            await Server.WaitUntilReadyAsync();
            if (!Chromium.IsPresent) return; // the tests are skipped, or in CI fail on Browser
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = Chromium.Path,
                Headless = true,
                Timeout = Timeout,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
        }

        public async Task DisposeAsync()
        {
            if (_browser is not null) await _browser.CloseAsync();
            _playwright?.Dispose();
            if (Server is not null) await Server.DisposeAsync();
            _dir.Dispose();
        }
    }

    /// <summary>A fresh context (own localStorage) and page; it records CSP violations and console errors.</summary>
    private sealed class Tab : IAsyncDisposable
    {
        public required IBrowserContext Context { get; init; }
        public required IPage Page { get; init; }
        public List<string> ConsoleErrors { get; } = [];

        public ILocator Id(string testId) => Page.GetByTestId(testId);

        /// <summary>Violations of the page's Content-Security-Policy so far (the page must need no exception to it).</summary>
        public async Task<string[]> CspViolationsAsync() =>
            await Page.EvaluateAsync<string[]>("() => window.__cspViolations || []");

        public async ValueTask DisposeAsync() => await Context.CloseAsync();
    }

    private async Task<Tab> OpenAsync(Uri? address = null, ViewportSize? viewport = null, ColorScheme colors = ColorScheme.Light,
        Func<IPage, Task>? beforeLoad = null)
    {
        var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = viewport ?? new() { Width = 1280, Height = 900 }, ColorScheme = colors });
        context.SetDefaultTimeout(Timeout);
        await context.AddInitScriptAsync(
            "document.addEventListener('securitypolicyviolation', e => (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI));");
        var page = await context.NewPageAsync();
        var tab = new Tab { Context = context, Page = page };
        page.Console += (_, m) => { if (m.Type == "error") tab.ConsoleErrors.Add(m.Text); };
        if (beforeLoad is not null) await beforeLoad(page);
        var response = await page.GotoAsync((address ?? fixture.Server.BaseAddress).ToString());
        Assert.Equal(200, response!.Status);
        return tab;
    }

    private static async Task SettingsAsync(Tab tab, params (string Field, string Value)[] values)
    {
        await tab.Id("settings-toggle").ClickAsync();
        foreach (var (field, value) in values) await tab.Id(field).FillAsync(value);
        await tab.Id("settings-close").ClickAsync();
    }

    /// <summary>Slows the page's downloads (Chrome's network emulation), so a reply of the fast tiny model streams for a while.</summary>
    private static async Task ThrottleAsync(Tab tab, int bytesPerSecond)
    {
        var cdp = await tab.Context.NewCDPSessionAsync(tab.Page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = bytesPerSecond, ["uploadThroughput"] = -1,
        });
    }

    /// <summary>Waits until the last assistant message is streaming and shows some text: the tokens arrive one by one.</summary>
    private static Task WaitForStreamingTextAsync(Tab tab) =>
        tab.Page.WaitForFunctionAsync("""
            () => {
              const all = document.querySelectorAll('[data-testid=assistant-message]');
              const m = all[all.length - 1];
              return m && m.dataset.state === 'streaming' && m.querySelector('[data-testid=message-content]').textContent.length > 0;
            }
            """, null, new() { Timeout = Timeout });

    private static async Task ScreenshotAsync(Tab tab, string name)
    {
        if (Environment.GetEnvironmentVariable("TERN_WEBPAGE_SCREENSHOTS") is not { Length: > 0 } dir) return;
        Directory.CreateDirectory(dir);
        await tab.Page.ScreenshotAsync(new() { Path = Path.Combine(dir, name + ".png") });
    }

    [ChromiumFact]
    public async Task PageLoadsShowsTheModelAndSendsSecurityHeaders()
    {
        await using var tab = await OpenAsync();
        await Expect(tab.Id("model-id")).ToHaveTextAsync("tiny-test", new() { Timeout = Timeout });
        await Expect(tab.Id("empty")).ToBeVisibleAsync();
        await Expect(tab.Id("send")).ToBeVisibleAsync();
        await Expect(tab.Id("stop")).ToBeHiddenAsync();
        await ScreenshotAsync(tab, "empty");
        await tab.Id("settings-toggle").ClickAsync();
        await Expect(tab.Id("settings")).ToBeVisibleAsync();
        await ScreenshotAsync(tab, "settings");
        await tab.Id("settings-close").ClickAsync();
        await Expect(tab.Id("settings")).ToBeHiddenAsync();

        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        foreach (var (path, type) in new[] { ("/", "text/html"), ("/app.js", "text/javascript"), ("/markdown.js", "text/javascript"), ("/style.css", "text/css"), ("/favicon.svg", "image/svg+xml") })
        {
            using var r = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(type, r.Content.Headers.ContentType?.MediaType);
            Assert.Equal(WebPageEndpoints.ContentSecurityPolicy, Assert.Single(r.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", Assert.Single(r.Headers.GetValues("X-Content-Type-Options")));
            // the ETag lets the browser revalidate without downloading the file again
            using var again = new HttpRequestMessage(HttpMethod.Get, path);
            again.Headers.IfNoneMatch.Add(r.Headers.ETag!);
            using var cached = await http.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
        }
        Assert.Contains("script-src 'self'", WebPageEndpoints.ContentSecurityPolicy);
        Assert.DoesNotContain("unsafe", WebPageEndpoints.ContentSecurityPolicy);

        Assert.Empty(await tab.CspViolationsAsync());
        Assert.Empty(tab.ConsoleErrors);
    }

    [ChromiumFact]
    public async Task ModelIdWaitsWhileTheModelLoads()
    {
        int calls = 0;
        await using var tab = await OpenAsync(beforeLoad: page => page.RouteAsync("**/v1/models", route => ++calls == 1
            ? route.FulfillAsync(new() { Status = 503, ContentType = "application/json", Body = """{"error":{"message":"Loading model","type":"server_error","param":null,"code":"loading"}}""" })
            : route.ContinueAsync()));
        await Expect(tab.Id("model-id")).ToHaveTextAsync("loading model…");
        await Expect(tab.Id("model-id")).ToHaveTextAsync("tiny-test", new() { Timeout = Timeout }); // asked again a second later
        await Expect(tab.Id("error")).ToBeHiddenAsync();
        Assert.Equal(2, calls);
    }

    [ChromiumFact]
    public async Task MessageStreamsIntoAnAssistantReplyWithTheSettingsSent()
    {
        await using var tab = await OpenAsync();
        var bodies = new List<JsonElement>();
        tab.Page.Request += (_, r) =>
        {
            if (r.Url.EndsWith("/v1/chat/completions", StringComparison.Ordinal) && r.PostData is { } d) bodies.Add(JsonDocument.Parse(d).RootElement.Clone());
        };
        await SettingsAsync(tab, ("system-prompt", "Be brief."), ("max-tokens", "24"), ("seed", "7"), ("temperature", "0.8"), ("top-k", "40"), ("top-p", "0.9"));
        await ThrottleAsync(tab, 8_000); // ~35 chunks a second: 24 tokens take most of a second

        await tab.Id("input").FillAsync("Hello <b>there</b>");
        await tab.Id("input").PressAsync("Enter");
        var user = tab.Id("user-message");
        await Expect(user.GetByTestId("message-content")).ToHaveTextAsync("Hello <b>there</b>");
        Assert.Equal(0, await user.Locator("b").CountAsync()); // the user's text is text too
        await Expect(tab.Id("input")).ToHaveValueAsync("");
        await Expect(tab.Id("stop")).ToBeVisibleAsync();

        await WaitForStreamingTextAsync(tab);
        await ScreenshotAsync(tab, "streaming");
        var reply = tab.Id("assistant-message");
        await Expect(reply).ToHaveAttributeAsync("data-state", "done", new() { Timeout = Timeout });
        Assert.NotEmpty(await reply.GetByTestId("message-content").InnerTextAsync());
        await Expect(tab.Id("stats")).ToContainTextAsync("tokens/s");
        await Expect(tab.Id("send")).ToBeEnabledAsync();
        await Expect(tab.Id("stop")).ToBeHiddenAsync();
        await ScreenshotAsync(tab, "replied");

        // Shift+Enter is a new line, not a send
        await tab.Id("input").PressSequentiallyAsync("first");
        await tab.Id("input").PressAsync("Shift+Enter");
        await tab.Id("input").PressSequentiallyAsync("second");
        await Expect(tab.Id("input")).ToHaveValueAsync("first\nsecond");
        Assert.Equal(1, await tab.Id("user-message").CountAsync());

        await tab.Id("send").ClickAsync();
        await Expect(tab.Id("assistant-message").Nth(1)).ToHaveAttributeAsync("data-state", "done", new() { Timeout = Timeout });

        Assert.Equal(2, bodies.Count);
        var second = bodies[1];
        Assert.True(second.GetProperty("stream").GetBoolean());
        Assert.Equal(24, second.GetProperty("max_tokens").GetInt32());
        Assert.Equal(7, second.GetProperty("seed").GetInt32());
        Assert.Equal(40, second.GetProperty("top_k").GetInt32());
        Assert.Equal(0.8, second.GetProperty("temperature").GetDouble(), 6);
        Assert.Equal(0.9, second.GetProperty("top_p").GetDouble(), 6);
        var roles = second.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()).ToArray();
        Assert.Equal("system user assistant user", string.Join(' ', roles));
        Assert.Equal("first\nsecond", second.GetProperty("messages")[3].GetProperty("content").GetString());

        Assert.Empty(await tab.CspViolationsAsync());
        Assert.Empty(tab.ConsoleErrors);
    }

    [ChromiumFact]
    public async Task StopEndsALongReplyKeepsItsTextAndSendWorksAgain()
    {
        await using var tab = await OpenAsync();
        await SettingsAsync(tab, ("max-tokens", "2000"));
        await ThrottleAsync(tab, 8_000); // 2000 tokens would take about a minute

        await tab.Id("input").FillAsync("Tell me a long story.");
        await tab.Id("input").PressAsync("Enter");
        await WaitForStreamingTextAsync(tab);
        await tab.Id("stop").ClickAsync();

        var reply = tab.Id("assistant-message");
        await Expect(reply).ToHaveAttributeAsync("data-state", "stopped");
        await Expect(reply.GetByTestId("message-note")).ToHaveTextAsync("Stopped");
        await Expect(tab.Id("stop")).ToBeHiddenAsync();
        await Expect(tab.Id("send")).ToBeEnabledAsync();
        string partial = await reply.GetByTestId("message-content").InnerTextAsync();
        Assert.NotEmpty(partial);
        await Task.Delay(300);
        Assert.Equal(partial, await reply.GetByTestId("message-content").InnerTextAsync()); // nothing more arrives
        await ScreenshotAsync(tab, "stopped");

        // the server let go of the request (the slot is free again)
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (fixture.Server.Host.Scheduler.BusySlots > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(0, fixture.Server.Host.Scheduler.BusySlots);

        // and the page can send again
        await tab.Id("input").FillAsync("Go on.");
        await tab.Id("send").ClickAsync();
        await Expect(tab.Id("assistant-message")).ToHaveCountAsync(2);
        await WaitForStreamingTextAsync(tab);
        await tab.Page.Keyboard.PressAsync("Escape"); // Escape stops too
        await Expect(tab.Id("assistant-message").Nth(1)).ToHaveAttributeAsync("data-state", "stopped");
        Assert.Equal(2, await tab.Id("user-message").CountAsync());

        Assert.Empty(await tab.CspViolationsAsync());
        Assert.Empty(tab.ConsoleErrors);
    }

    [ChromiumFact]
    public async Task StopBeforeAnyTextGivesTheMessageBack()
    {
        await using var tab = await OpenAsync();
        await tab.Page.RouteAsync("**/v1/chat/completions", _ => Task.CompletedTask); // a server that never answers
        await tab.Id("input").FillAsync("are you there?");
        await tab.Id("input").PressAsync("Enter");
        await Expect(tab.Id("assistant-message")).ToHaveAttributeAsync("data-state", "streaming");
        await tab.Id("stop").ClickAsync();
        await Expect(tab.Page.Locator(".msg")).ToHaveCountAsync(0);
        await Expect(tab.Id("input")).ToHaveValueAsync("are you there?");
        await Expect(tab.Id("send")).ToBeVisibleAsync();
        await Expect(tab.Id("error")).ToBeHiddenAsync();
    }

    [ChromiumFact]
    public async Task NewChatClearsTheConversationOnAPhoneInDarkMode()
    {
        await using var tab = await OpenAsync(viewport: new() { Width = 375, Height = 740 }, colors: ColorScheme.Dark);
        await SettingsAsync(tab, ("max-tokens", "12"));
        await tab.Id("input").FillAsync("Hi there");
        await tab.Id("input").PressAsync("Enter");
        await Expect(tab.Id("assistant-message")).ToHaveAttributeAsync("data-state", "done", new() { Timeout = Timeout });
        await Expect(tab.Id("model-id")).ToHaveTextAsync("tiny-test");
        await ScreenshotAsync(tab, "phone-dark");

        // nothing is wider than the phone, not even a long code line or word: no sideways scrolling of the page
        await tab.Page.EvaluateAsync("""
            () => window.ternRender('A long word: ' + 'y'.repeat(200) + ' https://example.com/' + 'z'.repeat(100) + '\n\n```\n' + 'x = 1; '.repeat(40) + '\n```',
              document.querySelector('[data-testid=assistant-message] [data-testid=message-content]'))
            """);
        await ScreenshotAsync(tab, "phone-dark-long");
        Assert.True(await tab.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 375"));
        Assert.True(await tab.Page.EvaluateAsync<bool>("() => document.querySelector('pre').scrollWidth > document.querySelector('pre').clientWidth")); // the code scrolls inside its box
        var composer = await tab.Id("composer").BoundingBoxAsync();
        Assert.NotNull(composer);
        Assert.True(composer.X >= 0 && composer.X + composer.Width <= 375 && composer.Y + composer.Height <= 740);
        // dark mode is in effect
        string background = await tab.Page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        Assert.Equal("rgb(21, 23, 27)", background);

        await tab.Id("settings-toggle").ClickAsync();
        var settings = await tab.Id("settings").BoundingBoxAsync();
        Assert.NotNull(settings);
        Assert.True(settings.Width <= 375);
        await ScreenshotAsync(tab, "phone-dark-settings");
        await tab.Id("settings-close").ClickAsync();

        await tab.Id("new-chat").ClickAsync();
        await Expect(tab.Page.Locator(".msg")).ToHaveCountAsync(0);
        await Expect(tab.Id("empty")).ToBeVisibleAsync();
        await Expect(tab.Id("stats")).ToHaveTextAsync("");

        Assert.Empty(await tab.CspViolationsAsync());
        Assert.Empty(tab.ConsoleErrors);
    }

    private const string Hostile = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";

    [ChromiumFact]
    public async Task RendererShowsMarkupAsTextAndMakesOnlyHttpLinks()
    {
        await using var tab = await OpenAsync();
        string markdown = Hostile + "\n\n" +
            "Some **bold**, *italic* and `<b>code</b>` text.\n\n" +
            "- one\n- two <iframe src=x></iframe>\n\n" +
            "```html\n<script>window.pwned=4</script>\n```\n\n" +
            "[click me](javascript:window.pwned=3) and [safe](https://example.com/a?b=1) and https://example.org/x.";
        await tab.Page.EvaluateAsync("""
            text => {
              const probe = document.createElement('div');
              probe.dataset.testid = 'probe';
              document.getElementById('messages').append(probe);
              window.ternRender(text, probe);
            }
            """, markdown);
        var probe = tab.Id("probe");
        await Task.Delay(300); // an <img src=x> would have fired onerror by now

        Assert.Null(await tab.Page.EvaluateAsync<int?>("() => window.pwned"));
        Assert.Equal(0, await probe.Locator("script, img, iframe, object, embed, svg, b").CountAsync());
        string text = await probe.InnerTextAsync();
        Assert.Contains(Hostile, text);
        Assert.Contains("two <iframe src=x></iframe>", text);
        Assert.Contains("[click me](javascript:window.pwned=3)", text); // shown as its source, not a link

        Assert.Equal("bold", await probe.Locator("strong").InnerTextAsync());
        Assert.Equal("italic", await probe.Locator("em").InnerTextAsync());
        Assert.Equal("<b>code</b>", await probe.Locator("p > code").InnerTextAsync());
        Assert.Equal(2, await probe.Locator("ul > li").CountAsync());
        Assert.Equal("<script>window.pwned=4</script>", await probe.Locator("pre > code").TextContentAsync());
        await Expect(probe.GetByTestId("copy-code")).ToBeVisibleAsync();

        var links = probe.Locator("a");
        Assert.Equal(2, await links.CountAsync());
        Assert.Equal("https://example.com/a?b=1", await links.Nth(0).GetAttributeAsync("href"));
        Assert.Equal("safe", await links.Nth(0).InnerTextAsync());
        Assert.Equal("https://example.org/x", await links.Nth(1).GetAttributeAsync("href")); // the full stop is not part of it
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal("noopener noreferrer", await links.Nth(i).GetAttributeAsync("rel"));
            Assert.Equal("_blank", await links.Nth(i).GetAttributeAsync("target"));
        }
        // the copy button puts the code, as text, on the clipboard
        await tab.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await probe.GetByTestId("copy-code").ClickAsync();
        await Expect(probe.GetByTestId("copy-code")).ToHaveTextAsync("Copied");
        Assert.Equal("<script>window.pwned=4</script>", await tab.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        // input made to make a parser backtrack or rescan renders quickly (it is re-rendered on every frame while streaming)
        double ms = await tab.Page.EvaluateAsync<double>("""
            () => {
              const text = '['.repeat(20000) + '\n' + '*a '.repeat(7000) + '\n' + '_b '.repeat(7000) + '\n# ' + ' '.repeat(20000) + 'x\n'
                + '`'.repeat(5000) + ' ' + '`a '.repeat(5000) + '\n' + 'https://x'.repeat(3000) + '\n' + '- - '.repeat(5000) + 'x';
              const t0 = performance.now();
              window.ternRender(text, document.createElement('div'));
              return performance.now() - t0;
            }
            """);
        Assert.True(ms < 1000, $"rendering took {ms:F0} ms");

        Assert.Null(await tab.Page.EvaluateAsync<int?>("() => window.pwned"));
        Assert.Empty(await tab.CspViolationsAsync());
    }

    /// <summary>An OpenAI event stream of these content pieces, as the server would send it; then an error event, or the
    /// end (unless <paramref name="complete"/> is false: a connection that closed early).</summary>
    private static string EventStream(IEnumerable<string> pieces, string? error = null, bool complete = true)
    {
        var sb = new StringBuilder();
        foreach (var p in pieces)
            sb.Append("data: ").Append(JsonSerializer.Serialize(new { choices = new[] { new { index = 0, delta = new { content = p } } } })).Append("\n\n");
        if (error is not null) sb.Append("data: ").Append(JsonSerializer.Serialize(new { error = new { message = error, type = "server_error" } })).Append("\n\n");
        else if (complete) sb.Append("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        return sb.ToString();
    }

    [ChromiumFact]
    public async Task HostileReplyFromTheServerShowsAsText()
    {
        await using var tab = await OpenAsync();
        // the tiny random model cannot be made to write markup, so the browser is handed a reply that has it
        string[] pieces = ["Here: <scr", "ipt>window.pwned=1</script>", "<img src=x onerror=\"window.pwned=2\">",
            "\n\n## A heading\n\nSome **bold**, *italic*, `code` and a [link](https://example.com).\n\n",
            "1. first\n2. second\n\n> a quote\n\n```js\nalert(1)\n```"];
        await tab.Page.RouteAsync("**/v1/chat/completions", route => route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = EventStream(pieces) }));
        await tab.Id("input").FillAsync("say something nasty");
        await tab.Id("input").PressAsync("Enter");
        var reply = tab.Id("assistant-message");
        await Expect(reply).ToHaveAttributeAsync("data-state", "done");
        await Task.Delay(300);

        Assert.Null(await tab.Page.EvaluateAsync<int?>("() => window.pwned"));
        Assert.Equal(0, await reply.Locator("script, img").CountAsync());
        Assert.Contains("Here: " + Hostile, await reply.InnerTextAsync());
        Assert.Equal("alert(1)", await reply.Locator("pre > code").TextContentAsync());
        Assert.Equal(2, await reply.Locator("ol > li").CountAsync());
        await ScreenshotAsync(tab, "markdown");
        await tab.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await ScreenshotAsync(tab, "markdown-dark");
        Assert.Empty(await tab.CspViolationsAsync());
    }

    [ChromiumFact]
    public async Task ServerErrorsAreShown()
    {
        await using var tab = await OpenAsync();
        int calls = 0;
        await tab.Page.RouteAsync("**/v1/chat/completions", route => ++calls == 1
            ? route.FulfillAsync(new() { Status = 400, ContentType = "application/json", Body = """{"error":{"message":"temperature must be between 0 and 2","type":"invalid_request_error","param":"temperature","code":null}}""" })
            : calls == 2
            ? route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = EventStream(["partial ", "text"], error: "generation failed: out of memory") })
            : route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = EventStream(["cut ", "short"], complete: false) }));

        // an error before any text: shown, the turn taken back and its text returned to the box
        await tab.Id("input").FillAsync("first try");
        await tab.Id("input").PressAsync("Enter");
        await Expect(tab.Id("error")).ToContainTextAsync("temperature must be between 0 and 2 (HTTP 400)");
        await Expect(tab.Page.Locator(".msg")).ToHaveCountAsync(0);
        await Expect(tab.Id("input")).ToHaveValueAsync("first try");
        await ScreenshotAsync(tab, "error");

        // an error in the middle of a stream: shown, the partial text kept
        await tab.Id("input").PressAsync("Enter");
        var reply = tab.Id("assistant-message");
        await Expect(reply).ToHaveAttributeAsync("data-state", "error");
        await Expect(reply.GetByTestId("message-content")).ToHaveTextAsync("partial text");
        await Expect(tab.Id("error")).ToContainTextAsync("generation failed: out of memory");
        await Expect(tab.Id("send")).ToBeVisibleAsync();

        // a stream that ends without [DONE] is not taken for a whole reply
        await tab.Id("input").FillAsync("third try");
        await tab.Id("input").PressAsync("Enter");
        var cut = tab.Id("assistant-message").Nth(1);
        await Expect(cut).ToHaveAttributeAsync("data-state", "error");
        await Expect(cut.GetByTestId("message-content")).ToHaveTextAsync("cut short");
        await Expect(tab.Id("error")).ToContainTextAsync("the connection closed before the reply was complete");
        Assert.Empty(await tab.CspViolationsAsync());
    }

    [ChromiumFact]
    public async Task ApiKeyGuardsTheApiButNotThePage()
    {
        const string Key = "test-key-4242";
        await using var server = await TernServer.StartAsync(new ServerOptions { ModelPath = fixture.ModelPath, ModelAlias = "keyed", Port = 0, Slots = 1, ApiKey = Key });
        await server.WaitUntilReadyAsync();
        using (var http = new HttpClient { BaseAddress = server.BaseAddress })
        {
            foreach (var path in new[] { "/", "/app.js", "/markdown.js", "/style.css", "/favicon.svg" })
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/models")).StatusCode);
        }

        await using var tab = await OpenAsync(server.BaseAddress);
        await Expect(tab.Id("model-id")).ToHaveTextAsync("API key needed");
        await Expect(tab.Id("error")).ToContainTextAsync("Enter the key in Settings");

        await tab.Id("input").FillAsync("hello");
        await tab.Id("input").PressAsync("Enter");
        await Expect(tab.Id("error")).ToContainTextAsync("invalid or missing API key");
        await Expect(tab.Id("error")).ToContainTextAsync("HTTP 401");
        await Expect(tab.Page.Locator(".msg")).ToHaveCountAsync(0);
        await Expect(tab.Id("input")).ToHaveValueAsync("hello");

        await SettingsAsync(tab, ("api-key", Key), ("max-tokens", "8"));
        await Expect(tab.Id("model-id")).ToHaveTextAsync("keyed");
        await Expect(tab.Id("error")).ToBeHiddenAsync();
        await tab.Id("input").PressAsync("Enter");
        await Expect(tab.Id("assistant-message")).ToHaveAttributeAsync("data-state", "done", new() { Timeout = Timeout });

        // the key is remembered by this browser
        await tab.Page.ReloadAsync();
        await Expect(tab.Id("model-id")).ToHaveTextAsync("keyed");
        Assert.Empty(await tab.CspViolationsAsync());
    }

    [Fact]
    public async Task WithoutTheWebPageThereIsNoPage()
    {
        await using var server = await TernServer.StartAsync(new ServerOptions { ModelPath = fixture.ModelPath, Port = 0, Slots = 1, WebPage = false });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/app.js")).StatusCode);
    }
}
