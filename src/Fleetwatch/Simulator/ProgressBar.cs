using System.Diagnostics;
using System.Globalization;

namespace Fleetwatch.Simulator;

/// <summary>
/// A one-line progress bar on standard error, redrawn in place on a terminal; when standard error is a file
/// or a pipe it writes a plain line every tenth of the way instead of control characters.
/// </summary>
public sealed class ProgressBar(TextWriter output, string label, long total, bool interactive)
{
    private const int Width = 30;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _done;
    private long _lastDrawTicks;
    private int _lastTenth = -1;

    public void Advance()
    {
        var done = Interlocked.Increment(ref _done);
        if (interactive)
        {
            var now = _clock.ElapsedTicks;
            var last = Interlocked.Read(ref _lastDrawTicks);
            if (done != total && now - last < Stopwatch.Frequency / 5) return;
            if (Interlocked.CompareExchange(ref _lastDrawTicks, now, last) != last && done != total) return;
        }
        else
        {
            var tenth = total == 0 ? 10 : (int)(done * 10 / total);
            var last = Volatile.Read(ref _lastTenth);
            if (tenth == last || Interlocked.CompareExchange(ref _lastTenth, tenth, last) != last) return;
        }
        Draw(done);
    }

    public void Finish()
    {
        if (interactive) lock (output) output.WriteLine();
    }

    private void Draw(long done)
    {
        var fraction = total == 0 ? 1 : (double)done / total;
        var filled = (int)(fraction * Width);
        var rate = done / Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{label} [{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,3:F0}% {done:N0}/{total:N0} {rate:N0}/s");
        lock (output)
        {
            if (interactive) output.Write("\r" + line);
            else output.WriteLine(line);
        }
    }
}
