using Fleetwatch.Devices;
using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Transfer;

/// <summary>
/// Events on their way to the writer, a batch at a time, a few batches in flight (so the next batch is read and
/// checked while the last one commits); what is already stored, or in a batch still in flight, is left out.
/// </summary>
internal sealed class ImportBatch(long projectId, IngestWriter writer, DeviceRegistry devices, ITelemetryStore store, CancellationToken ct)
{
    private readonly List<ImportedEvent> _events = new(ImportApi.BatchEvents);
    private readonly Queue<(Task Write, HashSet<(string, EventKind, long)> Keys)> _inFlight = new();
    public long Imported { get; private set; }
    public long Duplicates { get; private set; }
    public long Rejected { get; private set; }
    public List<ImportError> Errors { get; } = [];

    public async Task AddAsync(ImportedEvent? e, ImportError? error)
    {
        if (error is { } refused)
        {
            Rejected++;
            if (Errors.Count < ImportApi.MaxReportedErrors) Errors.Add(refused);
            return;
        }
        _events.Add(e!.Value);
        if (_events.Count >= ImportApi.BatchEvents) await FlushAsync(wait: false);
    }

    /// <summary>Hands what is gathered to the writer; with <paramref name="wait"/>, returns once every batch is committed.</summary>
    public async Task FlushAsync(bool wait = true)
    {
        if (_events.Count > 0)
        {
            // The batches in flight are looked at before the store: one that commits meanwhile is found in either.
            var pending = _inFlight.SelectMany(f => f.Keys).ToHashSet();
            var keys = new HashSet<EventKey>();
            var unique = new List<ImportedEvent>(_events.Count);
            var seen = new HashSet<(string, EventKind, long)>();
            foreach (var e in _events)
            {
                var key = (e.DeviceId, e.Kind, e.TsMicros);
                if (pending.Contains(key) || !seen.Add(key)) { Duplicates++; continue; }
                unique.Add(e);
                if (devices.TryGetId(projectId, e.DeviceId, out var id)) keys.Add(new EventKey(id, e.Kind, e.TsMicros));
            }
            _events.Clear();
            var stored = await store.FindStoredAsync(keys, ct);
            var drafts = new List<EventDraft>(unique.Count);
            foreach (var e in unique)
            {
                devices.TryGetId(projectId, e.DeviceId, out var id);
                if (id != 0 && stored.Contains(new EventKey(id, e.Kind, e.TsMicros))) { seen.Remove((e.DeviceId, e.Kind, e.TsMicros)); Duplicates++; continue; }
                drafts.Add(new EventDraft { ProjectId = projectId, ExternalId = e.DeviceId, DeviceId = id, Kind = e.Kind, TsMicros = e.TsMicros, Fields = e.Fields, Backfill = true });
            }
            if (drafts.Count > 0)
            {
                _inFlight.Enqueue((writer.WriteAsync([.. drafts], ct), seen));
                Imported += drafts.Count;
            }
        }
        while (_inFlight.Count > 0 && (wait || _inFlight.Count >= ImportApi.InFlightBatches)) await _inFlight.Dequeue().Write;
    }
}
