using System.Diagnostics;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.GpuNode.Worker;
using ClusterTrain.Shared.Training;
using static ClusterTrain.Cli.Tests.Worker.WorkerFixtures;

namespace ClusterTrain.Cli.Tests.Worker;

// One worker at a time: each takes a core, and the machine has two.
[Collection(nameof(WorkerProcesses))]
public class TrialProcessTests
{
    [Fact]
    public async Task A_trial_runs_to_completion_in_a_child_process_and_reports_every_kind_of_event()
    {
        var config = TinyTrial(steps: 24);
        var folder = TempFolder();
        var options = EveryStep with { StepInterval = TimeSpan.FromHours(1), StepEvery = 10 };

        using var trial = TrialProcess.Start(new TrialLaunch(config, folder) { TrialId = "t-1", Attempt = 1 }, options);
        var events = await ReadToEnd(trial.Events);
        var exit = await ExitOf(trial);

        var finished = Expect<TrialProcessExit.Finished>(exit);
        Assert.Equal(TrialOutcome.Completed, finished.Result.Outcome);
        Assert.Equal(0, finished.ExitCode);
        Assert.NotEqual(Environment.ProcessId, trial.ProcessId);
        var started = Assert.IsType<WorkerStarted>(events[0]);
        Assert.Equal(("t-1", 1, 0L, 24L), (started.TrialId, started.Attempt, started.Training.ResumedFromStep, started.Training.TotalSteps));
        Assert.Equal(8, started.Training.WeightLayers.Count);
        // Thinned to every 10th step, plus the first and the last.
        Assert.Equal([1L, 10, 20, 24], events.OfType<WorkerStep>().Select(s => s.Progress.Step));
        var snapshots = events.OfType<WorkerSnapshot>().Select(s => s.Snapshot).ToList();
        Assert.Equal([0L, 4, 8, 12, 16, 20], snapshots.Select(s => s.Step));
        Assert.All(snapshots, s => Assert.Equal(started.Training.WeightLayers, s.Layers.Select(l => l.Name)));
        Assert.Contains(events.OfType<WorkerEvaluation>(), e => e.Evaluation is { Split: "test", Step: 24, Samples: 32 });
        Assert.Equal([24L], events.OfType<WorkerCheckpoint>().Select(c => c.Step));
        Assert.Equal(new WorkerResult(finished.Result), events[^1]);
        Assert.Equal(config, TrialFile.Load(Path.Combine(folder, TrialProcess.ConfigFileName)));
    }

    [Fact]
    public async Task A_stopped_trial_is_interrupted_at_a_checkpoint_and_a_new_process_resumes_it_to_the_end()
    {
        var config = TinyTrial(steps: 40);
        var folder = TempFolder();

        TrialProcessExit stopped;
        List<WorkerEvent> firstEvents;
        await using (var first = TrialProcess.Start(new TrialLaunch(config, folder), EveryStep))
        {
            await ReadUntil(first.Events, e => e is WorkerStep);
            stopped = await first.StopAsync(TimeSpan.FromMinutes(1));
            firstEvents = await ReadToEnd(first.Events);
        }
        var interrupted = Expect<TrialProcessExit.Finished>(stopped).Result;
        Assert.Equal(TrialOutcome.Interrupted, interrupted.Outcome);
        Assert.Equal(130, stopped.ExitCode);
        Assert.InRange(interrupted.Steps, 1, 39);
        Assert.Equal(interrupted.Steps, firstEvents.OfType<WorkerCheckpoint>().Last().Step);
        Assert.Equal(interrupted.Steps, Checkpoint.TryReadState(folder)!.Step);

        await using var second = TrialProcess.Start(new TrialLaunch(config, folder), EveryStep);
        var events = await ReadToEnd(second.Events);
        var resumed = Expect<TrialProcessExit.Finished>(await ExitOf(second)).Result;

        Assert.Equal(interrupted.Steps, Assert.IsType<WorkerStarted>(events[0]).Training.ResumedFromStep);
        Assert.Equal(interrupted.Steps + 1, events.OfType<WorkerStep>().First().Progress.Step);
        Assert.Equal((TrialOutcome.Completed, 40L, interrupted.Steps), (resumed.Outcome, resumed.Steps, resumed.ResumedFromStep));
    }

    [Fact]
    public async Task A_killed_worker_is_reported_as_crashed_and_the_next_run_resumes_from_its_last_checkpoint()
    {
        var config = TinyTrial(steps: 40, checkpointEvery: 2);
        var folder = TempFolder();

        TrialProcessExit killed;
        int pid;
        await using (var first = TrialProcess.Start(new TrialLaunch(config, folder), EveryStep))
        {
            pid = first.ProcessId;
            await ReadUntil(first.Events, e => e is WorkerCheckpoint);
            using (var child = Process.GetProcessById(pid)) child.Kill();
            killed = await ExitOf(first);
            await ReadToEnd(first.Events);
        }

        var crashed = Expect<TrialProcessExit.Crashed>(killed);
        Assert.Equal((137, 9, false), (crashed.ExitCode, crashed.Signal, crashed.Stopped));
        Assert.Contains($"trial-worker: pid {pid}", crashed.StderrTail);
        var saved = Checkpoint.TryReadState(folder)!.Step;
        Assert.InRange(saved, 2, 38);
        Assert.Equal(0, saved % 2);

        await using var second = TrialProcess.Start(new TrialLaunch(config, folder), EveryStep);
        var events = await ReadToEnd(second.Events);
        var resumed = Expect<TrialProcessExit.Finished>(await ExitOf(second)).Result;

        Assert.Equal(saved, Assert.IsType<WorkerStarted>(events[0]).Training.ResumedFromStep);
        Assert.Equal((TrialOutcome.Completed, 40L), (resumed.Outcome, resumed.Steps));
    }

    [Fact]
    public async Task A_diverging_trial_reports_diverged_with_the_step_it_diverged_at()
    {
        // No batch norm and a learning rate of 5: the loss overflows within a few steps. (At 50 some seeds
        // kill every ReLU on the first step instead, and a dead net's loss stays finite.)
        var config = TinyTrial(steps: 30, batchNorm: false, lr: 5);

        await using var trial = TrialProcess.Start(new TrialLaunch(config, TempFolder()), EveryStep with { StepInterval = TimeSpan.FromHours(1) });
        var events = await ReadToEnd(trial.Events);
        var exit = Expect<TrialProcessExit.Finished>(await ExitOf(trial));

        Assert.Equal(TrialOutcome.Diverged, exit.Result.Outcome);
        Assert.Equal(1, exit.ExitCode);
        Assert.NotNull(exit.Result.DivergedAtStep);
        Assert.InRange(exit.Result.DivergedAtStep.Value, 1, 29);
        // The last finite step is reported even when thinning held it back.
        Assert.Equal(exit.Result.DivergedAtStep, events.OfType<WorkerStep>().Last().Progress.Step);
    }

    [Fact]
    public async Task A_trial_file_with_a_bad_key_fails_as_bad_config_naming_the_file_and_key()
    {
        var config = TinyTrial(steps: 4) with { Model = TinyTrial(steps: 4).Model with { Depth = 7 } };
        var folder = TempFolder();

        await using var trial = TrialProcess.Start(new TrialLaunch(config, folder), EveryStep);
        var events = await ReadToEnd(trial.Events);
        var failed = Expect<TrialProcessExit.Failed>(await ExitOf(trial));

        Assert.Equal((WorkerErrorKind.BadConfig, 2), (failed.Kind, failed.ExitCode));
        Assert.Contains(Path.Combine(folder, TrialProcess.ConfigFileName), failed.Message);
        Assert.Contains("model.depth", failed.Message);
        Assert.Equal([new WorkerError(failed.Kind, failed.Message)], events);
    }

    [Fact]
    public async Task A_device_option_that_is_no_device_fails_as_bad_config()
    {
        await using var trial = TrialProcess.Start(new TrialLaunch(TinyTrial(steps: 4), TempFolder()) { Device = "gpu0" }, EveryStep);
        var failed = Expect<TrialProcessExit.Failed>(await ExitOf(trial));

        Assert.Equal((WorkerErrorKind.BadConfig, 2), (failed.Kind, failed.ExitCode));
        Assert.Contains("device: 'gpu0'", failed.Message);
    }

    [Fact]
    public async Task A_device_this_machine_lacks_fails_as_bad_config()
    {
        await using var trial = TrialProcess.Start(new TrialLaunch(TinyTrial(steps: 4), TempFolder()) { Device = "cuda:7" }, EveryStep);
        var failed = Expect<TrialProcessExit.Failed>(await ExitOf(trial));

        Assert.Equal((WorkerErrorKind.BadConfig, 2), (failed.Kind, failed.ExitCode));
        Assert.Contains("cuda", failed.Message);
    }

    [Fact]
    public async Task A_corrupt_checkpoint_fails_as_bad_data_naming_the_file_and_is_left_alone()
    {
        var folder = TempFolder();
        File.WriteAllBytes(Checkpoint.PathIn(folder), [1, 2, 3]);

        await using var trial = TrialProcess.Start(new TrialLaunch(TinyTrial(steps: 4), folder), EveryStep);
        var failed = Expect<TrialProcessExit.Failed>(await ExitOf(trial));

        Assert.Equal((WorkerErrorKind.BadData, 2), (failed.Kind, failed.ExitCode));
        Assert.Contains(Checkpoint.PathIn(folder), failed.Message);
        Assert.Equal(3, new FileInfo(Checkpoint.PathIn(folder)).Length);
    }

    [Fact]
    public void A_worker_program_that_is_not_there_cannot_be_started()
    {
        var missing = new TrialProcessOptions(Path.Combine(TempFolder(), "no-such-program"), []);

        var error = Assert.Throws<InvalidOperationException>(() => TrialProcess.Start(new TrialLaunch(TinyTrial(steps: 4), TempFolder()), missing));

        Assert.Contains("no-such-program", error.Message);
    }

    [Fact]
    public async Task Disposing_a_running_trial_process_kills_its_worker()
    {
        var trial = TrialProcess.Start(new TrialLaunch(TinyTrial(steps: 1000), TempFolder()), EveryStep);
        await ReadUntil(trial.Events, e => e is WorkerStep);

        trial.Dispose();

        var crashed = Expect<TrialProcessExit.Crashed>(await ExitOf(trial));
        Assert.Equal((9, true), (crashed.Signal, crashed.Stopped));
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(trial.ProcessId));
    }

    [Fact]
    public async Task A_result_counts_even_if_the_worker_dies_after_sending_it()
    {
        var result = new TrialResult(TrialOutcome.Completed, 4, 4, 2.0, 0.5, null, null, null, 1.0, 64, null, 0);

        await using var trial = TrialProcess.Start(new TrialLaunch(TinyTrial(steps: 4), TempFolder()),
            Script($"echo '{WorkerProtocol.Format(new WorkerResult(result))}'; kill -9 $$"));
        var finished = Expect<TrialProcessExit.Finished>(await ExitOf(trial));

        Assert.Equal((result, 137), (finished.Result, finished.ExitCode));
    }

    [Fact]
    public async Task Stdout_lines_that_are_no_events_go_into_the_crash_report()
    {
        await using var trial = TrialProcess.Start(new TrialLaunch(TinyTrial(steps: 4), TempFolder()),
            Script("echo 'Segmentation fault in libtorch'; exit 3"));
        var crashed = Expect<TrialProcessExit.Crashed>(await ExitOf(trial));

        Assert.Equal((3, (int?)null, false), (crashed.ExitCode, crashed.Signal, crashed.Stopped));
        Assert.Contains("stdout: not a JSON object", crashed.StderrTail);
        Assert.Contains("Segmentation fault in libtorch", crashed.StderrTail);
        Assert.Empty(await ReadToEnd(trial.Events));
    }

    [Fact]
    public async Task The_crash_report_keeps_the_last_lines_of_stderr()
    {
        await using var trial = TrialProcess.Start(new TrialLaunch(TinyTrial(steps: 4), TempFolder()),
            Script("for i in 1 2 3 4 5 6 7 8 9 10; do echo \"log $i\" >&2; done; exit 1") with { StderrTailLines = 4 });
        var crashed = Expect<TrialProcessExit.Crashed>(await ExitOf(trial));

        Assert.Equal("log 7\nlog 8\nlog 9\nlog 10", crashed.StderrTail);
    }

    /// <summary>A stand-in worker: a shell script, given the worker's arguments as $1, $2, ...</summary>
    private static TrialProcessOptions Script(string script) => new("/bin/sh", ["-c", script, "stand-in-worker"]);

    [Fact]
    public void Checkpoints_resume_on_another_device_or_thread_count()
    {
        var config = TinyTrial(steps: 4);

        Assert.Equal(TrialTrainer.ConfigHash(config), TrialTrainer.ConfigHash(config with { Device = "cuda:1", Threads = 3 }));
        Assert.NotEqual(TrialTrainer.ConfigHash(config), TrialTrainer.ConfigHash(config with { Seed = 4 }));
    }
}

[CollectionDefinition(nameof(WorkerProcesses), DisableParallelization = true)]
public sealed class WorkerProcesses;
