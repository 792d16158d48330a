namespace ClusterTrain.Coordinator.Cli;

/// <summary>The first Ctrl-C (or SIGTERM) asks the work to stop cleanly; a second one kills the process.</summary>
public sealed class ConsoleInterrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly System.Runtime.InteropServices.PosixSignalRegistration _sigterm;
    private readonly string _stopping;
    private bool _disposed;

    /// <param name="stopping">What the first Ctrl-C does, as the user is told it.</param>
    public ConsoleInterrupt(string stopping = "stopping after the current step")
    {
        _stopping = stopping;
        Console.CancelKeyPress += OnCancelKeyPress;
        _sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
            {
                // A signal that arrives as the command ends may run this after Dispose (seen as an ObjectDisposedException
                // that aborted `clustertrain coordinator`); the process is exiting then, so leave it be.
                lock (_source)
                {
                    if (_disposed) return;
                    context.Cancel = true;
                    _source.Cancel();
                }
            });
    }

    public CancellationToken Token => _source.Token;

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (_source.IsCancellationRequested) return;
        e.Cancel = true;
        Console.Error.WriteLine($"{_stopping} (Ctrl-C again to kill)...");
        _source.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm.Dispose();
        lock (_source)
        {
            _disposed = true;
            _source.Dispose();
        }
    }
}
