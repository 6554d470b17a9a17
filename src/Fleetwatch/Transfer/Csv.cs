namespace Fleetwatch.Transfer;

/// <summary>RFC 4180 quoting: a field with a comma, a quote or a line break is quoted, its quotes doubled.</summary>
public static class Csv
{
    public static string Escape(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Splits one record into its fields; false when a quoted field is not closed on this line.</summary>
    public static bool TrySplit(string line, List<string> fields)
    {
        fields.Clear();
        var i = 0;
        while (true)
        {
            if (i < line.Length && line[i] == '"')
            {
                var field = new System.Text.StringBuilder();
                i++;
                while (true)
                {
                    if (i >= line.Length) return false;
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
                fields.Add(field.ToString());
                if (i < line.Length && line[i] != ',') return false;
            }
            else
            {
                var end = line.IndexOf(',', i);
                fields.Add(end < 0 ? line[i..] : line[i..end]);
                i = end < 0 ? line.Length : end;
            }
            if (i >= line.Length) return true;
            i++; // the comma
        }
    }
}
