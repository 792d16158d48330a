using ClusterTrain.Shared;

namespace ClusterTrain.Coordinator.Cluster;

/// <summary>
/// Where the sweep coordinator keeps its journal. Bound from the configuration section
/// "ClusterTrain:Persistence" and the environment variables <c>CLUSTERTRAIN_PERSISTENCE__*</c>.
/// </summary>
public sealed class PersistenceOptions
{
    public const string Section = "ClusterTrain:Persistence";

    public const string Sqlite = "sqlite";

    public const string PostgreSql = "postgresql";

    /// <summary>File name of the embedded default journal in the output folder.</summary>
    public const string DefaultSqliteFile = "clustertrain.db";

    /// <summary>"sqlite" (embedded, one machine) or "postgresql" (a server every coordinator candidate reaches).</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>ADO.NET connection string; empty for SQLite means the file <see cref="DefaultSqliteFile"/> in the output folder.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The connection string to use, the SQLite default placed in <paramref name="outputFolder"/>.</summary>
    /// <exception cref="ConfigException">The provider is unknown, or PostgreSQL has no connection string.</exception>
    public string ResolveConnectionString(string outputFolder)
    {
        ThrowIfInvalid();
        if (!string.IsNullOrWhiteSpace(ConnectionString)) return ConnectionString;
        return $"Data Source={Path.Combine(Path.GetFullPath(outputFolder), DefaultSqliteFile)}";
    }

    public bool IsSqlite => Provider.Equals(Sqlite, StringComparison.OrdinalIgnoreCase);

    /// <summary>The linq2db provider behind Akka.Persistence.Sql.</summary>
    public string ProviderName => Provider.ToLowerInvariant() switch
    {
        Sqlite => LinqToDB.ProviderName.SQLiteMS,
        PostgreSql => LinqToDB.ProviderName.PostgreSQL15,
        _ => throw new ConfigException(Check()),
    };

    public IReadOnlyList<Problem> Check()
    {
        var problems = new List<Problem>();
        var provider = Provider.ToLowerInvariant();
        if (provider is not (Sqlite or PostgreSql))
            problems.Add(new Problem($"{Section}:{nameof(Provider)}", $"'{Provider}' is not a journal provider; use {Sqlite} or {PostgreSql}."));
        if (provider == PostgreSql && string.IsNullOrWhiteSpace(ConnectionString))
            problems.Add(new Problem($"{Section}:{nameof(ConnectionString)}",
                "PostgreSQL needs a connection string, e.g. Host=db;Database=clustertrain;Username=ct;Password=..."));
        return problems;
    }

    private void ThrowIfInvalid()
    {
        var problems = Check();
        if (problems.Count > 0) throw new ConfigException(problems);
    }
}
