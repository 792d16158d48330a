using System.Runtime.ExceptionServices;

namespace ClusterTrain.GpuNode.Benchmarks;

/// <summary>
/// Runs measurement lanes in strict turns, one step each: lane 0 runs until it calls the callback it was
/// given (end of its step), then lane 1, and so on round the lanes still running. Setup and teardown run
/// in the lane's turn too, so only one lane ever uses the cores.
/// </summary>
/// <remarks>
/// <para>Why alternate: on a shared or throttling machine a slow spell then falls on every lane alike
/// instead of on whichever lane happened to run at the time, so the ratio between lanes stays meaningful
/// even when the absolute numbers drift.</para>
/// <para>Why threads: <see cref="Training.TrialTrainer.Run"/> owns its loop and only reports steps through
/// an observer, so to alternate it with another loop each lane needs its own stack. The turns make the
/// threads run one at a time; handing over costs microseconds, far below any training step.</para>
/// <para>A lane that throws ends the run: the others get an exception from their next callback (so a
/// trainer among them unwinds and releases what it holds), and <see cref="Run"/> rethrows the first
/// failure once every lane has stopped.</para>
/// </remarks>
public static class StepInterleaver
{
    // Deep nets recurse through native autograd code; give each lane the main thread's usual stack.
    private const int LaneStackBytes = 16 << 20;

    /// <param name="lanes">Each lane gets a callback to call at the end of every step.</param>
    public static void Run(IReadOnlyList<Action<Action>> lanes)
    {
        ArgumentNullException.ThrowIfNull(lanes);
        if (lanes.Count == 0) return;
        var turns = lanes.Select((_, i) => new SemaphoreSlim(i == 0 ? 1 : 0)).ToArray();
        var finished = new bool[lanes.Count];
        var gate = new object();
        ExceptionDispatchInfo? failure = null;

        // The next lane after `lane` that has not finished, going round; `lane` itself when it is the only one left.
        int Next(int lane)
        {
            lock (gate)
            {
                for (var k = 1; k <= lanes.Count; k++)
                {
                    var candidate = (lane + k) % lanes.Count;
                    if (!finished[candidate]) return candidate;
                }
                return -1;
            }
        }

        void ThrowIfFailed()
        {
            lock (gate)
            {
                if (failure is not null) throw new AnotherLaneFailed();
            }
        }

        void EndOfStep(int lane)
        {
            var next = Next(lane);
            if (next != lane)
            {
                turns[next].Release();
                turns[lane].Wait();
            }
            ThrowIfFailed();
        }

        var threads = new Thread[lanes.Count];
        for (var i = 0; i < lanes.Count; i++)
        {
            var lane = i;
            threads[lane] = new Thread(() =>
            {
                turns[lane].Wait();
                try
                {
                    ThrowIfFailed();
                    lanes[lane](() => EndOfStep(lane));
                }
                catch (Exception e)
                {
                    lock (gate)
                    {
                        if (failure is null && e is not AnotherLaneFailed) failure = ExceptionDispatchInfo.Capture(e);
                    }
                }
                finally
                {
                    lock (gate) finished[lane] = true;
                    if (Next(lane) is var next && next >= 0) turns[next].Release();
                }
            }, LaneStackBytes)
            { Name = $"benchmark lane {lane}", IsBackground = true };
        }
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        foreach (var turn in turns) turn.Dispose();
        failure?.Throw();
    }

    private sealed class AnotherLaneFailed() : Exception("another benchmark lane failed; stopping this one");
}
