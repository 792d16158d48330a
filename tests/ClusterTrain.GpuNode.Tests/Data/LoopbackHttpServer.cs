using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ClusterTrain.GpuNode.Tests.Data;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 at a free port, so download tests never touch the internet.
/// Answers GET path with the bytes <c>respond(path)</c> returns, or 404 when it returns null.
/// </summary>
internal sealed class LoopbackHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, byte[]?> _respond;
    private readonly Task _loop;
    private int _requests;

    public LoopbackHttpServer(Func<string, byte[]?> respond)
    {
        _respond = respond;
        _listener.Start();
        BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>Serves the files under a folder, path for path.</summary>
    public static LoopbackHttpServer ForFolder(string root) => new(path =>
    {
        var file = Path.GetFullPath(Path.Combine(root, Uri.UnescapeDataString(path).TrimStart('/')));
        return file.StartsWith(Path.GetFullPath(root)) && File.Exists(file) ? File.ReadAllBytes(file) : null;
    });

    public string BaseUrl { get; }
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>An HttpClient that reaches loopback directly, whatever proxy the environment names.</summary>
    public static HttpClient Client() => new(new SocketsHttpHandler { UseProxy = false });

    private async Task AcceptLoop()
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is ObjectDisposedException or SocketException or InvalidOperationException) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            var requestLine = await reader.ReadLineAsync() ?? "";
            while (!string.IsNullOrEmpty(await reader.ReadLineAsync())) { }
            Interlocked.Increment(ref _requests);
            var path = requestLine.Split(' ') is [_, var p, ..] ? p : "/";
            var body = _respond(path);
            var head = body is null
                ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                : $"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            if (body is not null) await stream.WriteAsync(body);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _loop.Wait(TimeSpan.FromSeconds(10));
    }
}
