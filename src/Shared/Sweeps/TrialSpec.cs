using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Sweeps;

/// <summary>One trial of an expanded sweep.</summary>
/// <param name="TrialId">Hash of the trial's canonical config (<see cref="TrialIdentity"/>): the same trial has the same id in every sweep that holds it.</param>
/// <param name="Index">0-based position in the expansion (<see cref="SweepSpec.Expand"/>); scheduling goes by it.</param>
/// <param name="GridValues">Grid key to the canonical value that made this trial.</param>
/// <param name="ConfigurationKey">Hash of the config without its seed: shared by every seed of one configuration.</param>
/// <param name="Label">"ResNet-20 lr=0.1": the model's display name and the grid values the name does not show.</param>
public sealed record TrialSpec(
    string TrialId,
    int Index,
    TrialConfig Config,
    IReadOnlyDictionary<string, string> GridValues,
    int Seed,
    string ConfigurationKey,
    string Label);
