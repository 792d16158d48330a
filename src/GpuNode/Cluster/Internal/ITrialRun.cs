using System.Threading.Channels;
using ClusterTrain.GpuNode.Worker;

namespace ClusterTrain.GpuNode.Cluster.Internal;

/// <summary>
/// A trial as a slot sees it: the worker's events in order, then its end. A <see cref="TrialProcess"/> trains for
/// real; a <see cref="SimulatedTrial"/> sleeps and sends the same events, so one machine can stand in for many nodes.
/// </summary>
internal interface ITrialRun : IDisposable
{
    /// <summary>For the slot's log: "pid 1234", or that the trial is simulated.</summary>
    string Description { get; }

    /// <summary>Every event in order; completes before <see cref="Exit"/> does.</summary>
    ChannelReader<WorkerEvent> Events { get; }

    /// <summary>Completes, never faults, once the trial has ended and every event is written.</summary>
    Task<TrialProcessExit> Exit { get; }

    /// <summary>Asks the trial to stop (checkpoint, Interrupted), and ends it outright after <paramref name="grace"/>.</summary>
    Task<TrialProcessExit> StopAsync(TimeSpan grace);
}
