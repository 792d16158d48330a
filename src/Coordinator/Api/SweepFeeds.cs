using Akka.Actor;
using ClusterTrain.Api.V1;
using ClusterTrain.Coordinator.Cli;
using Microsoft.Extensions.Logging;
using Core = ClusterTrain.Shared.Cluster;

namespace ClusterTrain.Coordinator.Api;

/// <summary>
/// One numbered event feed per sweep, built by reading the coordinator's state every
/// <see cref="ApiOptions.FeedInterval"/> and recording what changed: a <see cref="TrialChanged"/> per trial whose
/// state or attempt changed, a <see cref="Progress"/> at most every <see cref="ApiOptions.ProgressInterval"/>, and
/// <see cref="SweepEnded"/> last. The feeds live in memory: a coordinator that restarts starts new ones under another
/// <see cref="FeedId"/>, whose first events state every trial as it is then. Reading state rather than hooking the
/// coordinator's actor keeps the journal and the singleton unchanged; a state that lasts less than one interval
/// (a trial that starts and ends between two reads) is reported by its end only.
/// </summary>
public sealed class SweepFeeds : IAsyncDisposable
{
    private readonly IActorRef _coordinator;
    private readonly ApiOptions _options;
    private readonly SweepReports _reports;
    private readonly ILogger _log;
    private readonly List<SweepFeed> _order = [];
    private readonly Dictionary<string, SweepFeed> _feeds = [];
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SweepFeeds(IActorRef coordinator, ApiOptions options, SweepReports reports, ILogger log)
    {
        _coordinator = coordinator;
        _options = options;
        _reports = reports;
        _log = log;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Names this coordinator process's feeds; event numbers mean nothing under another id.</summary>
    public string FeedId { get; } = Guid.NewGuid().ToString("N")[..12];

    public IReadOnlyList<SweepFeed> All
    {
        get { lock (_order) return _order.ToList(); }
    }

    public SweepFeed? Find(string sweepId)
    {
        lock (_order) return _feeds.GetValueOrDefault(sweepId);
    }

    /// <summary>The sweep's feed, reading the coordinator first when it is not known yet (just submitted).</summary>
    public async Task<SweepFeed?> FindAsync(string sweepId, CancellationToken cancellation)
    {
        if (Find(sweepId) is { } feed) return feed;
        await RefreshAsync(cancellation);
        return Find(sweepId);
    }

    /// <summary>Reads every sweep that has not ended and records what changed since the last read.</summary>
    public async Task RefreshAsync(CancellationToken cancellation)
    {
        await _refreshing.WaitAsync(cancellation);
        try
        {
            var list = await _coordinator.Ask<Core.SweepList>(Core.ListSweeps.Instance, SweepClient.AskTimeout, cancellation);
            foreach (var listing in list.Sweeps)
            {
                SweepFeed feed;
                lock (_order)
                {
                    if (!_feeds.TryGetValue(listing.SweepId, out feed!))
                    {
                        _feeds[listing.SweepId] = feed = new SweepFeed(listing, FeedId);
                        _order.Add(feed);
                    }
                }
                if (feed.Ended) continue;
                var (counts, trials) = await SweepClient.StatusAsync(_coordinator, listing.SweepId, cancellation);
                if (feed.Update(listing with { Counts = counts }, trials, _options.ProgressInterval, DateTimeOffset.UtcNow)
                    && !_reports.HasReport(listing.SweepId))
                    _ = WriteReportAsync(feed.Listing);
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private async Task WriteReportAsync(Core.SweepListing sweep)
    {
        try
        {
            await _reports.WriteAsync(sweep);
        }
        catch (Exception e)
        {
            _log.LogError(e, "Could not write the report of sweep {Name} ({SweepId})", sweep.Spec.Name, sweep.SweepId);
        }
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(_options.FeedInterval);
        do
        {
            try
            {
                await RefreshAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The singleton may be moving or recovering; the next read catches up, and the feeds must go on.
                _log.LogWarning("Could not read the sweeps from the coordinator: {Message}", e.Message);
            }
        } while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _refreshing.Dispose();
    }
}

/// <summary>One sweep's events, numbered from 1, and its latest state for the dashboard.</summary>
public sealed class SweepFeed
{
    private readonly object _lock = new();
    private readonly string _feedId;
    private readonly List<SweepEvent> _events = [];
    private readonly Dictionary<string, (Shared.Sweeps.TrialState State, int Attempts)> _known = [];
    private TaskCompletionSource _changed = NewSignal();
    private DateTimeOffset _lastProgress = DateTimeOffset.MinValue;
    private string _progressSeen = "";

    internal SweepFeed(Core.SweepListing listing, string feedId)
    {
        Listing = listing;
        _feedId = feedId;
    }

    public string SweepId => Listing.SweepId;

    /// <summary>Counts as of the latest read.</summary>
    public Core.SweepListing Listing { get; private set; }

    /// <summary>Every trial as of the latest read, in expansion order.</summary>
    public IReadOnlyList<Core.TrialReport> Trials { get; private set; } = [];

    /// <summary>The <see cref="SweepEnded"/> event is in the feed; nothing follows it.</summary>
    public bool Ended { get; private set; }

    /// <summary>The events numbered above <paramref name="number"/>, whether the feed has ended with them, and a task that completes on the next event.</summary>
    public (IReadOnlyList<SweepEvent> Events, bool Ended, Task Changed) After(long number)
    {
        lock (_lock)
        {
            var from = (int)Math.Clamp(number, 0, _events.Count);
            return (_events.GetRange(from, _events.Count - from), Ended, _changed.Task);
        }
    }

    /// <summary>Records what changed since the last read; true when this read ended the sweep.</summary>
    internal bool Update(Core.SweepListing listing, IReadOnlyList<Core.TrialReport> trials, TimeSpan progressInterval, DateTimeOffset now)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            var before = _events.Count;
            foreach (var trial in trials)
            {
                var seen = (trial.State, trial.Attempts);
                if (_known.TryGetValue(trial.TrialId, out var known) && known == seen) continue;
                _known[trial.TrialId] = seen;
                Add(new SweepEvent { TrialChanged = new TrialChanged { Trial = trial.ToApi() } });
            }
            var running = trials.Where(t => t.State == Shared.Sweeps.TrialState.Running).ToList();
            var progressNow = string.Join(';', running.Select(t => $"{t.TrialId}:{t.Progress?.Step}"));
            var statesChanged = _events.Count > before;
            if (statesChanged || (progressNow != _progressSeen && now - _lastProgress >= progressInterval))
            {
                var progress = new Progress { Counts = listing.Counts.ToApi() };
                progress.Running.AddRange(running.Select(t => t.ToApi()));
                Add(new SweepEvent { Progress = progress });
                _progressSeen = progressNow;
                _lastProgress = now;
            }
            var endsNow = listing.Counts.Finished && !Ended;
            if (endsNow)
            {
                Add(new SweepEvent { SweepEnded = new SweepEnded { Counts = listing.Counts.ToApi(), Cancelled = listing.Cancelled } });
                Ended = true;
            }
            Listing = listing;
            Trials = trials;
            if (_events.Count == before) return false;
            changed = _changed;
            _changed = NewSignal();
            changed.TrySetResult();
            return endsNow;
        }
    }

    private void Add(SweepEvent e)
    {
        e.Number = _events.Count + 1;
        e.FeedId = _feedId;
        _events.Add(e);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
