using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClusterTrain.Cli.Tests.Api;

/// <summary>
/// Headless Chromium (the Debian package's /usr/bin/chromium) driven over the Chrome DevTools Protocol on a
/// WebSocket: no browser download, no driver. One page; JavaScript is evaluated in it and conditions awaited.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly TempFolder _profile;
    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private int _nextId;

    private HeadlessChromium(Process process, TempFolder profile, ClientWebSocket socket)
    {
        _process = process;
        _profile = profile;
        _socket = socket;
        _receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>Starts Chromium with a fresh profile and connects to its first page.</summary>
    public static async Task<HeadlessChromium> StartAsync(TimeSpan timeout)
    {
        var profile = new TempFolder();
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile.Path}",
            "--remote-debugging-port=0", "about:blank",
        }) start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var guard = new CancellationTokenSource(timeout);
            // Chromium writes its port and browser path to DevToolsActivePort once it listens.
            var portFile = Path.Combine(profile.Path, "DevToolsActivePort");
            string[] lines;
            while ((lines = File.Exists(portFile) ? await File.ReadAllLinesAsync(portFile, guard.Token) : []).Length < 2 || lines[0].Length == 0)
            {
                if (process.HasExited) throw new InvalidOperationException($"{Executable} exited with code {process.ExitCode} before it listened");
                await Task.Delay(50, guard.Token);
            }
            using var http = new HttpClient();
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{lines[0]}/json/list", guard.Token))!.AsArray();
            var page = targets.First(t => (string?)t!["type"] == "page")!;
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), guard.Token);
            return new HeadlessChromium(process, profile, socket);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            profile.Dispose();
            throw;
        }
    }

    public Task NavigateAsync(string url) => SendAsync("Page.navigate", new JsonObject { ["url"] = url });

    /// <summary>The value of a JavaScript expression in the page.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var reply = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (reply["exceptionDetails"] is { } error) throw new InvalidOperationException($"{expression} threw: {error.ToJsonString()}");
        return reply["result"]?["value"];
    }

    /// <summary>Waits until <paramref name="expression"/> is true in the page, re-evaluating it every 100 ms.</summary>
    public async Task WaitUntilAsync(string expression, TimeSpan timeout, string what)
    {
        using var guard = new CancellationTokenSource(timeout);
        while (true)
        {
            // A navigation in progress has no page to evaluate in; the next try does.
            if (await TryEvaluateAsync(expression) is { } value && value.GetValueKind() == JsonValueKind.True) return;
            try
            {
                await Task.Delay(100, guard.Token);
            }
            catch (OperationCanceledException)
            {
                var text = await TryEvaluateAsync("document.body ? document.body.innerText : ''");
                throw new TimeoutException($"the page did not show {what} within {timeout.TotalSeconds:F0} s; it reads:\n{text}");
            }
        }
    }

    private async Task<JsonNode?> TryEvaluateAsync(string expression)
    {
        try
        {
            return await EvaluateAsync(expression);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject parameters)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, _stop.Token);
        return await reply.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray())!;
                message.SetLength(0);
                // Events (no id) are not needed: the tests poll the page's state.
                if (node["id"] is { } id && _pending.TryRemove((int)id, out var reply))
                {
                    if (node["error"] is { } error) reply.SetException(new InvalidOperationException(error.ToJsonString()));
                    else reply.SetResult(node["result"] ?? new JsonObject());
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        foreach (var reply in _pending.Values) reply.TrySetException(new InvalidOperationException("the browser connection closed"));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _receiving;
        _socket.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _profile.Dispose();
        _stop.Dispose();
    }
}
