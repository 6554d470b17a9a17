using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Fleetwatch.Model;

namespace Fleetwatch.Storage;

/// <summary>
/// Encodes an event's fields as a compact binary payload: per field a varint metric id, a tag byte and the
/// value (zig-zag varint for integers, 8 bytes for doubles, length-prefixed UTF-8 for text). A status
/// (battery, rssi, online) costs 9 bytes, against 45 as JSON text; this is most of why a stored point stays
/// under 40 bytes on SQLite.
/// </summary>
public static class PayloadCodec
{
    public static byte[] Encode(ReadOnlySpan<Field> fields, Func<string, int> metricId)
    {
        if (fields.Length == 0) return [];
        var buffer = new ArrayBufferWriter<byte>(16);
        foreach (var field in fields)
        {
            WriteVarint(buffer, (ulong)metricId(field.Name));
            var value = field.Value;
            buffer.GetSpan(1)[0] = (byte)value.Tag;
            buffer.Advance(1);
            switch (value.Tag)
            {
                case ValueTag.Int:
                    WriteVarint(buffer, (ulong)((value.Int << 1) ^ (value.Int >> 63)));
                    break;
                case ValueTag.Double:
                    BinaryPrimitives.WriteDoubleLittleEndian(buffer.GetSpan(8), value.Double);
                    buffer.Advance(8);
                    break;
                case ValueTag.Text or ValueTag.Json:
                    var text = value.Text ?? "";
                    var count = Encoding.UTF8.GetByteCount(text);
                    WriteVarint(buffer, (ulong)count);
                    Encoding.UTF8.GetBytes(text, buffer.GetSpan(count));
                    buffer.Advance(count);
                    break;
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static Field[] Decode(ReadOnlySpan<byte> payload, Func<int, string> metricName)
    {
        if (payload.IsEmpty) return [];
        var fields = new List<Field>(4);
        var pos = 0;
        while (pos < payload.Length)
        {
            var name = metricName((int)ReadVarint(payload, ref pos));
            var tag = (ValueTag)payload[pos++];
            FieldValue value;
            switch (tag)
            {
                case ValueTag.Int:
                    var zigzag = ReadVarint(payload, ref pos);
                    value = FieldValue.Of((long)(zigzag >> 1) ^ -(long)(zigzag & 1));
                    break;
                case ValueTag.Double:
                    value = FieldValue.Of(BinaryPrimitives.ReadDoubleLittleEndian(payload[pos..]));
                    pos += 8;
                    break;
                case ValueTag.Text or ValueTag.Json:
                    var count = (int)ReadVarint(payload, ref pos);
                    value = new FieldValue(tag, Text: Encoding.UTF8.GetString(payload.Slice(pos, count)));
                    pos += count;
                    break;
                default:
                    value = new FieldValue(tag);
                    break;
            }
            fields.Add(new Field(name, value));
        }
        return [.. fields];
    }

    /// <summary>Calls <paramref name="onNumber"/> with each numeric field's metric id and value (booleans and text are skipped).</summary>
    public static void ForEachNumber<TState>(ReadOnlySpan<byte> payload, ref TState state, NumberVisitor<TState> onNumber)
    {
        var pos = 0;
        while (pos < payload.Length)
        {
            var id = (int)ReadVarint(payload, ref pos);
            var tag = (ValueTag)payload[pos++];
            switch (tag)
            {
                case ValueTag.Int:
                    var zigzag = ReadVarint(payload, ref pos);
                    onNumber(ref state, id, (long)(zigzag >> 1) ^ -(long)(zigzag & 1));
                    break;
                case ValueTag.Double:
                    onNumber(ref state, id, BinaryPrimitives.ReadDoubleLittleEndian(payload[pos..]));
                    pos += 8;
                    break;
                case ValueTag.Text or ValueTag.Json:
                    SkipText(payload, ref pos);
                    break;
            }
        }
    }

    public delegate void NumberVisitor<TState>(ref TState state, int metricId, double value);

    /// <summary>Whether every metric id in the payload satisfies <paramref name="known"/>, without decoding values into objects.</summary>
    public static bool AllMetricsKnown(ReadOnlySpan<byte> payload, Func<int, bool> known)
    {
        var pos = 0;
        while (pos < payload.Length)
        {
            if (!known((int)ReadVarint(payload, ref pos))) return false;
            var tag = (ValueTag)payload[pos++];
            switch (tag)
            {
                case ValueTag.Int: ReadVarint(payload, ref pos); break;
                case ValueTag.Double: pos += 8; break;
                case ValueTag.Text or ValueTag.Json: SkipText(payload, ref pos); break;
            }
        }
        return true;
    }

    private static void SkipText(ReadOnlySpan<byte> payload, ref int pos)
    {
        // Not `pos += ReadVarint(payload, ref pos)`: that adds the length to pos as it was before the length was read.
        var length = (int)ReadVarint(payload, ref pos);
        pos += length;
    }

    private static void WriteVarint(ArrayBufferWriter<byte> buffer, ulong value)
    {
        var span = buffer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        buffer.Advance(i);
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong result = 0;
        var shift = 0;
        while (true)
        {
            var b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
            shift += 7;
        }
    }
}
