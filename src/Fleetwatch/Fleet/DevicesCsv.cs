namespace Fleetwatch.Fleet;

/// <summary>A malformed devices file: start-up stops with this message, which names the line.</summary>
public sealed class DevicesCsvException(string message) : Exception(message);

/// <summary>
/// The simulator's devices file: a <c>device_id</c> header, then one id per line. Tolerates a BOM, CRLF,
/// surrounding spaces and blank lines; duplicates are read once.
/// </summary>
public static class DevicesCsv
{
    public static IReadOnlyList<string> Read(string path)
    {
        if (!File.Exists(path)) throw new DevicesCsvException($"Devices file {path} does not exist");
        // ReadAllLines drops a UTF-8 BOM and splits on CRLF and LF alike.
        var lines = File.ReadAllLines(path);
        var ids = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var headerSeen = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim().Trim('\uFEFF');
            if (line.Length == 0) continue;
            if (!headerSeen)
            {
                if (!line.Equals("device_id", StringComparison.OrdinalIgnoreCase))
                    throw new DevicesCsvException($"{path}, line {i + 1}: expected the header \"device_id\", found \"{Shorten(line)}\"");
                headerSeen = true;
                continue;
            }
            if (line.Contains(',') || line.Contains('"') || line.Length > 128 || line.Any(char.IsControl))
                throw new DevicesCsvException($"{path}, line {i + 1}: \"{Shorten(line)}\" is not a device id (one id of at most 128 characters per line)");
            if (seen.Add(line)) ids.Add(line);
        }
        if (!headerSeen) throw new DevicesCsvException($"{path} is empty: expected the header \"device_id\" and one id per line");
        return ids;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
