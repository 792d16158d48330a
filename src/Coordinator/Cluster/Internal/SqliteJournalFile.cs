using Microsoft.Data.Sqlite;

namespace ClusterTrain.Coordinator.Cluster.Internal;

/// <summary>The embedded journal's SQLite file.</summary>
internal static class SqliteJournalFile
{
    /// <summary>
    /// Puts the file in write-ahead-log mode (a setting the file keeps). The coordinator stores every event before it
    /// acts on it, one write at a time; in SQLite's default rollback-journal mode each such commit costs several
    /// fsyncs (journal created, written, database written, journal deleted), in WAL mode one append and one fsync,
    /// with the same durability (synchronous stays FULL). Measured in docs/benchmarks.md ("Coordinator overhead").
    /// </summary>
    public static void UseWriteAheadLog(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder)
            Directory.CreateDirectory(folder);
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }
}
