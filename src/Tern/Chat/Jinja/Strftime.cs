using System.Globalization;
using System.Text;

namespace Tern.Chat.Jinja;

/// <summary>
/// C/Python <c>strftime</c> for <c>strftime_now(fmt)</c> (LLaMA-3.2-style templates use <c>"%d %b %Y"</c>).
/// English names regardless of culture; glibc's <c>%-d</c>-style "no padding" flag is supported.
/// </summary>
internal static class Strftime
{
    public static string Format(DateTime t, string format)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                sb.Append(c);
                continue;
            }
            char code = format[++i];
            bool noPad = false;
            if (code == '-' && i + 1 < format.Length)
            {
                noPad = true;
                code = format[++i];
            }
            string Pad(int v, int width) => noPad ? v.ToString(inv) : v.ToString(new string('0', width), inv);
            sb.Append(code switch
            {
                'a' => inv.DateTimeFormat.GetAbbreviatedDayName(t.DayOfWeek),
                'A' => inv.DateTimeFormat.GetDayName(t.DayOfWeek),
                'b' or 'h' => inv.DateTimeFormat.GetAbbreviatedMonthName(t.Month),
                'B' => inv.DateTimeFormat.GetMonthName(t.Month),
                'd' => Pad(t.Day, 2),
                'e' => noPad ? t.Day.ToString(inv) : t.Day.ToString(inv).PadLeft(2),
                'm' => Pad(t.Month, 2),
                'y' => Pad(t.Year % 100, 2),
                'Y' => t.Year.ToString(inv),
                'H' => Pad(t.Hour, 2),
                'I' => Pad(t.Hour % 12 == 0 ? 12 : t.Hour % 12, 2),
                'M' => Pad(t.Minute, 2),
                'S' => Pad(t.Second, 2),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'j' => Pad(t.DayOfYear, 3),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", inv),
                'w' => ((int)t.DayOfWeek).ToString(inv),
                'u' => (t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek).ToString(inv),
                'F' => t.ToString("yyyy-MM-dd", inv),
                'T' => t.ToString("HH:mm:ss", inv),
                'D' => t.ToString("MM/dd/yy", inv),
                'R' => t.ToString("HH:mm", inv),
                'n' => "\n",
                't' => "\t",
                '%' => "%",
                _ => throw new JinjaError($"strftime_now: unsupported format code '%{code}'", ChatTemplateErrorKind.Unsupported),
            });
        }
        return sb.ToString();
    }
}
