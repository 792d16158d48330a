using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ClusterTrain.GpuNode.Training;
using ClusterTrain.Shared.GradientStats;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.GpuNode.Worker;

/// <summary>
/// The trial-worker protocol: one JSON object per line on the worker's stdout, tagged by "event", with the
/// payload's fields flat beside the tag (snake_case names, as in metrics.jsonl):
/// <code>
/// {"event":"started","protocol":1,"trial_id":"t1","attempt":1,"model_name":"ResNet-8",...,"resumed_from_step":0,"weight_layers":[...]}
/// {"event":"step","step":1,"total_steps":40,"epoch":0,"learning_rate":0.05,"loss":2.31,"batch_error":0.875,"images_per_second":410.2}
/// {"event":"snapshot","step":0,"layers":[{"index":0,"name":"conv1.weight","count":216,"l2_norm":0.41,...,"histogram":[0,...]}],"train_loss":2.3,"train_error":0.9}
/// {"event":"evaluation","step":40,"epoch":4,"split":"test","loss":2.2,"error":0.8,"samples":32}
/// {"event":"checkpoint","step":40}
/// {"event":"result","outcome":"completed","steps":40,...}
/// {"event":"error","protocol":1,"kind":"bad_config","message":"trial.yaml:3: model.depth: ..."}
/// </code>
/// Doubles are written at round-trip precision; NaN and the infinities as the strings "NaN", "Infinity" and
/// "-Infinity", so a diverging trial's statistics arrive intact. The events that can open a stream (started,
/// error) carry the protocol version; a parser refuses any other version. Unknown fields are ignored, so a
/// newer worker may add some without a version change.
/// </summary>
public static class WorkerProtocol
{
    public const int Version = 1;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        // Messages stay readable in logs ("6n+2", not "6n\u002B2"); control characters, line breaks among
        // them, are still escaped, which is all a line-oriented protocol needs.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>One line of JSON, without the line break (line breaks inside strings are escaped).</summary>
    public static string Format(WorkerEvent workerEvent)
    {
        var line = new JsonObject { ["event"] = NameOf(workerEvent) };
        object payload = workerEvent;
        switch (workerEvent)
        {
            case WorkerStarted started:
                line["protocol"] = Version;
                line["trial_id"] = started.TrialId;
                line["attempt"] = started.Attempt;
                payload = started.Training;
                break;
            case WorkerError:
                line["protocol"] = Version;
                break;
            case WorkerStep step: payload = step.Progress; break;
            case WorkerSnapshot snapshot: payload = snapshot.Snapshot; break;
            case WorkerEvaluation evaluation: payload = evaluation.Evaluation; break;
            case WorkerResult result: payload = result.Result; break;
        }
        foreach (var (key, value) in JsonSerializer.SerializeToNode(payload, payload.GetType(), Options)!.AsObject())
            line[key] = value?.DeepClone();
        return line.ToJsonString(Options);
    }

    /// <exception cref="FormatException">The line is not a complete event of this protocol version; the message says why.</exception>
    public static WorkerEvent Parse(string line)
    {
        JsonObject fields;
        try
        {
            fields = JsonNode.Parse(line) as JsonObject ?? throw new FormatException($"not a JSON object: {Excerpt(line)}");
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new FormatException($"not a JSON object ({e.Message}): {Excerpt(line)}", e);
        }

        var name = fields["event"] is JsonValue tag && tag.TryGetValue<string>(out var text)
            ? text
            : throw new FormatException($"no \"event\" name: {Excerpt(line)}");
        try
        {
            return name switch
            {
                "started" => new WorkerStarted(
                    Read<TrainingStarted>(CheckVersion(fields)),
                    fields["trial_id"]?.GetValue<string>(),
                    fields["attempt"]?.GetValue<int>()),
                "step" => new WorkerStep(Read<StepProgress>(fields)),
                "snapshot" => new WorkerSnapshot(Read<GradientSnapshot>(fields)),
                "evaluation" => new WorkerEvaluation(Read<EvaluationResult>(fields)),
                "checkpoint" => Read<WorkerCheckpoint>(fields),
                "result" => new WorkerResult(Read<TrialResult>(fields)),
                "error" => Read<WorkerError>(CheckVersion(fields)),
                _ => throw new FormatException($"unknown event '{name}': {Excerpt(line)}"),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new FormatException($"a '{name}' event that does not fit protocol {Version} ({e.Message}): {Excerpt(line)}", e);
        }
    }

    private static T Read<T>(JsonObject fields) =>
        fields.Deserialize<T>(Options) ?? throw new JsonException($"{typeof(T).Name} is null");

    /// <summary>The fields, if they name this protocol version; checked before reading, as another version's fields may differ.</summary>
    private static JsonObject CheckVersion(JsonObject fields)
    {
        var version = fields["protocol"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : (int?)null;
        return version == Version
            ? fields
            : throw new FormatException(version is null
                ? $"the worker names no protocol version; this build speaks protocol {Version}"
                : $"the worker speaks protocol {version}; this build speaks protocol {Version}");
    }

    private static string NameOf(WorkerEvent workerEvent) => workerEvent switch
    {
        WorkerStarted => "started",
        WorkerStep => "step",
        WorkerSnapshot => "snapshot",
        WorkerEvaluation => "evaluation",
        WorkerCheckpoint => "checkpoint",
        WorkerResult => "result",
        WorkerError => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(workerEvent), workerEvent.GetType().Name, "not a protocol event"),
    };

    private static string Excerpt(string line) => line.Length <= 200 ? line : line[..200] + "...";
}
