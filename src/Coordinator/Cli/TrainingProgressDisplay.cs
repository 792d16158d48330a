using System.Diagnostics;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.Training;
using Spectre.Console;

namespace ClusterTrain.Coordinator.Cli;

/// <summary>
/// Live progress of one trial: a Spectre.Console bar with ETA on a terminal, plain lines (one every
/// few seconds, plus each evaluation) when stdout is redirected, so CI logs hold no escape codes.
/// </summary>
public abstract class TrainingProgressDisplay : ITrainingObserver, IDisposable
{
    public static TrainingProgressDisplay Create(string trialName) =>
        Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive
            ? new PlainLines(trialName)
            : new LiveBar(trialName);

    public virtual void OnStarted(TrainingStarted started) { }
    public virtual void OnStep(StepProgress progress) { }
    public virtual void OnEvaluation(EvaluationResult evaluation) { }
    public virtual void Dispose() { }

    protected static string Describe(TrainingStarted s) =>
        $"{s.ModelName}: {s.Parameters:N0} parameters, {s.WeightLayers.Count} weight layers, {s.TotalSteps} steps ({s.StepsPerEpoch}/epoch) on {s.Device}" +
        (s.ResumedFromStep > 0 ? $", resuming from step {s.ResumedFromStep}" : "");

    protected static string Describe(StepProgress p) =>
        $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch + 1} loss {p.Loss:F4} err {p.BatchError:P1} lr {p.LearningRate:G3} {p.ImagesPerSecond:F0} img/s";

    protected static string Describe(EvaluationResult e) =>
        $"{e.Split} after step {e.Step}: loss {e.Loss:F4}, error {e.Error:P2} on {e.Samples} images";

    private sealed class PlainLines(string trialName) : TrainingProgressDisplay
    {
        private readonly Stopwatch _sinceLastLine = Stopwatch.StartNew();

        public override void OnStarted(TrainingStarted started) => Console.WriteLine($"[{trialName}] {Describe(started)}");

        public override void OnStep(StepProgress progress)
        {
            if (progress.Step != 1 && progress.Step != progress.TotalSteps && _sinceLastLine.Elapsed < TimeSpan.FromSeconds(5)) return;
            _sinceLastLine.Restart();
            Console.WriteLine($"[{trialName}] {Describe(progress)}");
        }

        public override void OnEvaluation(EvaluationResult evaluation) => Console.WriteLine($"[{trialName}] {Describe(evaluation)}");
    }

    private sealed class LiveBar : TrainingProgressDisplay
    {
        private readonly string _trialName;
        private readonly ManualResetEventSlim _finished = new();
        private readonly Task _render;
        private volatile string _status = "loading data";
        private long _done;
        private long _total = 1;

        public LiveBar(string trialName)
        {
            _trialName = trialName;
            _render = Task.Run(() => AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    var task = context.AddTask(Markup.Escape(_trialName));
                    while (!_finished.Wait(TimeSpan.FromMilliseconds(200)))
                        Update(task);
                    Update(task);
                }));
        }

        private void Update(ProgressTask task)
        {
            task.MaxValue = Interlocked.Read(ref _total);
            task.Value = Interlocked.Read(ref _done);
            task.Description = Markup.Escape($"{_trialName} {_status}");
        }

        public override void OnStarted(TrainingStarted started)
        {
            Interlocked.Exchange(ref _total, Math.Max(1, started.TotalSteps));
            Interlocked.Exchange(ref _done, started.ResumedFromStep);
            AnsiConsole.MarkupLine(Markup.Escape(Describe(started)));
        }

        public override void OnStep(StepProgress progress)
        {
            Interlocked.Exchange(ref _done, progress.Step);
            _status = Describe(progress);
        }

        public override void OnEvaluation(EvaluationResult evaluation) => AnsiConsole.MarkupLine(Markup.Escape(Describe(evaluation)));

        public override void Dispose()
        {
            if (_finished.IsSet) return;
            _finished.Set();
            _render.Wait();
        }
    }
}
