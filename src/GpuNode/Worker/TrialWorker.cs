using System.Diagnostics;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Worker;

/// <summary>What <c>clustertrain trial-worker</c> is asked to do.</summary>
/// <param name="ConfigPath">The trial file (YAML).</param>
/// <param name="CheckpointFolder">Where the checkpoint is written, and resumed from when one is there.</param>
public sealed record TrialWorkerOptions(string ConfigPath, string CheckpointFolder)
{
    /// <summary>Replaces the trial's device ("cpu", "cuda:1"): the node, not the trial, knows which slot is free.</summary>
    public string? Device { get; init; }

    /// <summary>Replaces the trial's torch thread count.</summary>
    public int? Threads { get; init; }

    public string? TrialId { get; init; }

    public int? Attempt { get; init; }

    /// <summary>
    /// A step event is written when this much time has passed since the last one, or when the step is a multiple
    /// of <see cref="StepEvery"/>; the first step of the run and the last one before the end are always written.
    /// Zero writes every step.
    /// </summary>
    public TimeSpan StepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>See <see cref="StepInterval"/>; 0 for no step-count trigger.</summary>
    public int StepEvery { get; init; }
}

/// <summary>
/// The body of <c>clustertrain trial-worker</c>: trains one trial and reports it in the <see cref="WorkerProtocol"/>.
/// Meant to run alone in its process, since torch's RNG and thread pool are process-wide.
/// </summary>
public static class TrialWorker
{
    /// <param name="protocol">Receives one event per line (the process's real stdout).</param>
    /// <param name="log">Receives human-readable lines (stderr).</param>
    /// <param name="cancellation">Stops after the current step with a checkpoint and an Interrupted result.</param>
    /// <returns>The last event written: a <see cref="WorkerResult"/> or a <see cref="WorkerError"/>.</returns>
    public static WorkerEvent Run(TrialWorkerOptions options, TextWriter protocol, TextWriter log, CancellationToken cancellation)
    {
        var events = new EventWriter(protocol, log, options);
        try
        {
            var config = LoadConfig(options);
            var trial = options.TrialId is null ? "" : $" {options.TrialId}" + (options.Attempt is null ? "" : $" attempt {options.Attempt}");
            log.WriteLine($"trial-worker{trial}: pid {Environment.ProcessId}, {config.Model.DisplayName} on {config.Device}, " +
                $"checkpoint folder {options.CheckpointFolder}");
            var result = new TrialTrainer(config, options.CheckpointFolder).Run(events, cancellation);
            log.WriteLine($"trial-worker: {result.Outcome} after {result.Steps}/{result.TotalSteps} steps in {result.WallSeconds:F1} s");
            return events.Finish(new WorkerResult(result));
        }
        catch (ConfigException e)
        {
            return events.Finish(Error(WorkerErrorKind.BadConfig, e.Message));
        }
        catch (ArgumentException e)
        {
            // The trainer's way of saying that the trial does not fit this machine or its data.
            return events.Finish(Error(WorkerErrorKind.BadConfig, e.Message));
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            return events.Finish(Error(WorkerErrorKind.BadData, e.Message));
        }
        catch (Exception e)
        {
            log.WriteLine(e);
            return events.Finish(Error(WorkerErrorKind.Internal, $"{e.GetType().Name}: {e.Message}"));
        }

        WorkerError Error(WorkerErrorKind kind, string message)
        {
            log.WriteLine($"trial-worker: error ({kind}): {message}");
            return new WorkerError(kind, message);
        }
    }

    private static TrialConfig LoadConfig(TrialWorkerOptions options)
    {
        var config = TrialFile.Load(options.ConfigPath);
        if (options.Device is null && options.Threads is null) return config;
        config = config with { Device = options.Device ?? config.Device, Threads = options.Threads ?? config.Threads };
        var problems = new ProblemList("trial-worker options");
        TrialRules.Validate(config, problems);
        problems.ThrowIfAny();
        return config;
    }

    /// <summary>Turns trainer events into protocol lines, thinning the steps.</summary>
    private sealed class EventWriter(TextWriter output, TextWriter log, TrialWorkerOptions options) : ITrainingObserver
    {
        private readonly Stopwatch _sinceLastStep = new();
        private StepProgress? _unwritten;
        private bool _outputLost;

        public void OnStarted(TrainingStarted started) => Write(new WorkerStarted(started, options.TrialId, options.Attempt));

        public void OnStep(StepProgress progress)
        {
            var due = !_sinceLastStep.IsRunning
                || progress.Step == progress.TotalSteps
                || _sinceLastStep.Elapsed >= options.StepInterval
                || (options.StepEvery > 0 && progress.Step % options.StepEvery == 0);
            if (!due)
            {
                _unwritten = progress;
                return;
            }
            _unwritten = null;
            _sinceLastStep.Restart();
            Write(new WorkerStep(progress));
        }

        public void OnGradientSnapshot(GradientSnapshot snapshot) => Write(new WorkerSnapshot(snapshot));

        public void OnEvaluation(EvaluationResult evaluation) => Write(new WorkerEvaluation(evaluation));

        public void OnCheckpoint(long step, string path) => Write(new WorkerCheckpoint(step));

        /// <summary>Writes the last step if it was held back, then the final event.</summary>
        public WorkerEvent Finish(WorkerEvent last)
        {
            if (_unwritten is { } progress) Write(new WorkerStep(progress));
            _unwritten = null;
            Write(last);
            return last;
        }

        private void Write(WorkerEvent workerEvent)
        {
            if (_outputLost) return;
            try
            {
                output.WriteLine(WorkerProtocol.Format(workerEvent));
                output.Flush();
            }
            catch (IOException e)
            {
                // The parent is gone (broken pipe). Training goes on, to the stop that the closed stdin
                // triggers (with --watch-stdin) or to the end; there is no one left to tell.
                _outputLost = true;
                log.WriteLine($"trial-worker: the event stream is closed ({e.Message}); events are no longer written");
            }
        }
    }
}
