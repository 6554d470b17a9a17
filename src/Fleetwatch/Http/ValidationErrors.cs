namespace Fleetwatch.Http;

/// <summary>Collects field → reasons for a 422, allocating nothing while the input is valid.</summary>
public static class ValidationErrors
{
    public static void Add(ref Dictionary<string, string[]>? errors, string field, string reason)
    {
        errors ??= new Dictionary<string, string[]>(StringComparer.Ordinal);
        errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, reason] : [reason];
    }
}
