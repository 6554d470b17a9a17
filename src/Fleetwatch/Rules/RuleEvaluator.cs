using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Rules;

/// <summary>
/// Evaluates rules after each committed batch, off the request path: commits are queued here and a loop keeps
/// each watched device's last readings in memory (loaded once from the store, then moved forward), so no
/// history is re-read per event. Every node evaluates every batch (its own and, through the event feed, the
/// others'); the database keeps one alert per firing, whichever node raises it first.
/// </summary>
public sealed partial class RuleEvaluator(RuleBook rules, IRuleStore store, ITelemetryStore events, MetricDictionary metrics,
    Webhooks.WebhookDispatcher webhooks, ILogger<RuleEvaluator> logger)
    : BackgroundService, ICommitObserver
{
    // A window never holds more readings than this, whatever a rule asks.
    public const int MaxWindow = 10_000;

    private readonly Channel<CommittedBatch> _batches = Channel.CreateUnbounded<CommittedBatch>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<long, (List<StoredEvent> Events, int Size)> _windows = [];
    // For auto-resolve: (rule, device) pairs known to have no open alert, so a calm window costs no write.
    // Unknown pairs (e.g. after a restart) are resolved once, which finds nothing or closes an old alert.
    private readonly HashSet<(long Rule, long Device)> _calm = [];

    public void OnCommitted(CommittedBatch batch)
    {
        // With no rule anywhere there is nothing to keep; the first rule starts from the store's history anyway.
        // Imported history is not news: it neither raises nor resolves alerts, nor enters the rules' windows.
        if (!rules.IsEmpty && !batch.Drafts.All(d => d.Backfill)) _batches.Writer.TryWrite(batch);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await rules.LoadAsync(stoppingToken);
        await foreach (var batch in _batches.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await EvaluateAsync(batch, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.EvaluationFailed(logger, e);
            }
        }
    }

    private async Task EvaluateAsync(CommittedBatch batch, CancellationToken ct)
    {
        // Per device: the rules that apply (looked up once per device and batch) and the batch's newest reading,
        // which names the firing — so every node evaluating this batch raises the same alert, or none.
        var touched = new Dictionary<long, (Rule[] Rules, StoredEvent? Newest)>();
        for (var i = 0; i < batch.Events.Length; i++)
        {
            var e = batch.Events[i];
            // A bare heartbeat carries no values and takes no slot; a connectivity transition is the server's, not a reading.
            if (!e.Kind.IsReading()) continue;
            if (!touched.TryGetValue(e.DeviceId, out var seen))
                seen = ([.. rules.For(batch.Drafts[i].ProjectId, e.DeviceId).Where(r => !r.IsInactivity)], null);
            if (seen.Rules.Length == 0)
            {
                touched[e.DeviceId] = seen;
                continue;
            }
            var size = seen.Rules.Max(r => r.WindowN);
            Insert(await WindowAsync(e.DeviceId, size, ct), e, size);
            var newest = seen.Newest is { } n && !EventOrdering.IsLater(e.TsMicros, e.Id, n.TsMicros, n.Id) ? n : e;
            touched[e.DeviceId] = (seen.Rules, newest);
        }
        foreach (var (deviceId, (applicable, newest)) in touched)
        {
            if (newest is null) continue;
            var window = await WindowAsOfAsync(deviceId, newest, applicable.Max(r => r.WindowN), ct);
            foreach (var rule in applicable) await EvaluateAsync(rule, deviceId, window, ct);
        }
    }

    /// <summary>
    /// The device's readings up to and including <paramref name="newest"/>, as many as the longest window needs.
    /// Usually that is the kept window as it stands; when later readings are already known (another node's batch
    /// arrived first, or this one is a backfill) it is the part before them, or — when that part was trimmed
    /// away — a read from the store. Either way every node sees the same window for the same batch.
    /// </summary>
    private async Task<List<StoredEvent>> WindowAsOfAsync(long deviceId, StoredEvent newest, int size, CancellationToken ct)
    {
        size = Math.Min(size, MaxWindow);
        var window = _windows[deviceId].Events;
        var at = window.FindLastIndex(e => e.Id == newest.Id);
        if (at == window.Count - 1) return window;
        // A window shorter than its size holds every reading of the device, so any prefix of it is complete.
        if (at >= 0 && (at + 1 >= size || window.Count < size)) return window.GetRange(Math.Max(0, at + 1 - size), Math.Min(at + 1, size));
        if (size == 1) return [newest];
        var before = await events.ReadEventsAsync(EventQuery.Page(deviceId, EventQuery.Readings, long.MinValue, long.MaxValue, ascending: false, size - 1).After(newest), metrics, ct);
        return [.. before.Reverse(), newest];
    }

    private async Task EvaluateAsync(Rule rule, long deviceId, List<StoredEvent> window, CancellationToken ct)
    {
        // The last window_n readings by (ts, id); with fewer, nothing fires.
        if (window.Count < rule.WindowN) return;
        var considered = window.Skip(window.Count - rule.WindowN).ToList();
        var matches = 0;
        foreach (var e in considered)
        {
            if (e.Get(rule.Metric) is { } value && Number(value) is { } number && rule.Breaches(number)) matches++;
        }
        if (matches < rule.RequiredK)
        {
            if (rule.AutoResolve && _calm.Add((rule.Id, deviceId))) await store.ResolveOpenAlertsAsync(rule.Id, deviceId, ct);
            return;
        }
        // Breaching: this node or another raises (or raised) an alert that a calm window will have to resolve.
        _calm.Remove((rule.Id, deviceId));
        var latest = considered[^1];
        var alert = new Alert(0, rule.ProjectId, rule.Id, deviceId, latest.Id, Clock.NowMicros(), "open", rule.Severity,
            Details(rule, deviceId, matches, considered.Count, latest), null, null);
        if (await store.TryRaiseAsync(alert, alert.TriggeredMicros - rule.CooldownSeconds * 1_000_000L, ct) is { } raised)
        {
            Log.Raised(logger, raised.Id, rule.Id, deviceId);
            webhooks.Nudge();
        }
    }

    /// <summary>A JSON number (integers and floats; booleans are not numbers).</summary>
    private static double? Number(FieldValue value) => value.Tag switch
    {
        ValueTag.Int => value.Int,
        ValueTag.Double => value.Double,
        _ => null,
    };

    private async Task<List<StoredEvent>> WindowAsync(long deviceId, int size, CancellationToken ct)
    {
        size = Math.Min(size, MaxWindow);
        if (_windows.TryGetValue(deviceId, out var kept) && kept.Size >= size) return kept.Events;
        // First sight, or a rule now wants a longer window: the newest readings from the store, oldest first.
        var recent = await events.ReadEventsAsync(EventQuery.Page(deviceId, EventQuery.Readings, long.MinValue, long.MaxValue, ascending: false, size), metrics, ct);
        List<StoredEvent> window = [.. recent.Reverse()];
        _windows[deviceId] = (window, size);
        return window;
    }

    /// <summary>Puts a reading in (ts, id) order — late ones too — and keeps only the newest <paramref name="size"/>; a reading already there is ignored.</summary>
    private static void Insert(List<StoredEvent> window, StoredEvent e, int size)
    {
        var at = window.Count;
        while (at > 0 && EventOrdering.IsLater(window[at - 1].TsMicros, window[at - 1].Id, e.TsMicros, e.Id)) at--;
        if (at > 0 && window[at - 1].Id == e.Id) return;
        window.Insert(at, e);
        if (window.Count > Math.Min(size, MaxWindow)) window.RemoveRange(0, window.Count - Math.Min(size, MaxWindow));
    }

    internal static string Details(Rule rule, long deviceId, int matches, int considered, StoredEvent latest)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("rule");
            json.WriteNumber("id", rule.Id);
            json.WriteString("name", rule.Name);
            json.WriteString("metric", rule.Metric);
            json.WriteString("operator", rule.Operator);
            // Floats as Python writes them (30.0, not 30): webhook receivers compare the original's bytes.
            json.WritePropertyName("threshold");
            json.WriteRawValue(Webhooks.PythonJson.Float(rule.Threshold));
            json.WriteNumber("window_n", rule.WindowN);
            json.WriteNumber("required_k", rule.RequiredK);
            json.WriteNumber("cooldown_seconds", rule.CooldownSeconds);
            json.WriteString("scope", Rule.ScopeName(rule.Scope));
            json.WriteStringOrNull("tag", rule.Tag);
            json.WriteString("severity", rule.Severity);
            json.WriteEndObject();
            json.WriteStartObject("evaluation");
            json.WriteNumber("device_id", deviceId);
            json.WriteNumber("match_count", matches);
            json.WriteNumber("considered", considered);
            json.WritePropertyName("latest_value");
            if (latest.Get(rule.Metric) is { Tag: ValueTag.Int } integer) json.WriteNumberValue(integer.Int);
            else if (latest.Get(rule.Metric) is { Tag: ValueTag.Double } real) json.WriteRawValue(Webhooks.PythonJson.Float(real.Double));
            else json.WriteNullValue();
            json.WriteString("latest_ts", Http.Timestamps.Format(latest.TsMicros));
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.AlertRaised, Level = LogLevel.Information, Message = "Alert {AlertId} raised by rule {RuleId} for device {DeviceId}")]
        public static partial void Raised(ILogger logger, long alertId, long ruleId, long deviceId);

        [LoggerMessage(EventId = LogEvents.RuleEvaluationFailed, Level = LogLevel.Error, Message = "Rule evaluation of a batch failed")]
        public static partial void EvaluationFailed(ILogger logger, Exception exception);
    }
}
