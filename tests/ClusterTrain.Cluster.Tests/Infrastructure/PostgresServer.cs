using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ClusterTrain.Cluster.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL server for one test class: initdb into a temporary folder, pg_ctl start on a free loopback
/// port with its unix socket in that folder, one empty database; stopped and deleted afterwards. PostgreSQL refuses to
/// run as root, so as root the server runs as the <c>postgres</c> user (runuser), the folder handed over to it.
/// <see cref="Unavailable"/> says why there is none (no binaries under /usr/lib/postgresql/N/bin, say).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string Database = "clustertrain";
    private const string Superuser = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private string? _bin;
    private string? _folder;

    /// <summary>Why no server runs; null when one does.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Npgsql connection string of the test database.</summary>
    public string ConnectionString { get; private set; } = "";

    private string DataFolder => Path.Combine(_folder!, "data");

    private static bool IsRoot => Environment.UserName == "root";

    public async Task InitializeAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => b, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (_bin is null)
        {
            Unavailable = "PostgreSQL is not installed (no /usr/lib/postgresql/N/bin/initdb; build/prerequisites.sh installs it as root)";
            return;
        }
        _folder = Directory.CreateTempSubdirectory("clustertrain-postgres-").FullName;
        if (IsRoot) await RunAsync("chown", "-R", $"{Superuser}:", _folder);
        var port = FreePort();
        await PostgresAsync("initdb", "-D", DataFolder, "-U", Superuser, "--auth=trust", "-E", "UTF8", "--no-sync");
        // fsync off: a test server's data is thrown away, and syncing costs seconds on a busy disk.
        await PostgresAsync("pg_ctl", "-D", DataFolder, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60", "start",
            "-o", $"-p {port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off");
        await PostgresAsync("createdb", "-h", "127.0.0.1", "-p", port.ToString(), "-U", Superuser, Database);
        ConnectionString = $"Host=127.0.0.1;Port={port};Username={Superuser};Database={Database}";
    }

    public async Task DisposeAsync()
    {
        if (_folder is null) return;
        if (Directory.Exists(Path.Combine(DataFolder, "base")))
        {
            try { await PostgresAsync("pg_ctl", "-D", DataFolder, "-m", "immediate", "-w", "stop"); }
            catch (InvalidOperationException) { }
        }
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task PostgresAsync(string tool, params string[] args) =>
        IsRoot
            ? RunAsync("runuser", ["-u", Superuser, "--", Path.Combine(_bin!, tool), .. args])
            : RunAsync(Path.Combine(_bin!, tool), args);

    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(CommandTimeout);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {await error}{await output}");
    }
}
