/**
 * Date and time values of FHIR as instants and ranges (R4 datatypes.html#dateTime and
 * search.html#date). A value with less than full precision stands for the whole period it
 * names: `2024` is every instant of that year.
 */

/** A half-open interval of instants in epoch milliseconds: `start <= t < end`. */
export interface DateRange {
  start: number;
  end: number;
}

const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * Parses a FHIR date, dateTime or instant into the range of instants it covers, or returns
 * `undefined` when the text is not one. Values with a time of day need a time zone, as R4
 * requires for dateTime; values without a time of day are read as UTC.
 */
export function parseDateRange(value: string): DateRange | undefined {
  const match = DATE_TIME.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  if (hour !== undefined && zone === undefined) return undefined;

  const y = Number(year);
  const mo = month === undefined ? 1 : Number(month);
  const d = day === undefined ? 1 : Number(day);
  const h = hour === undefined ? 0 : Number(hour);
  const mi = minute === undefined ? 0 : Number(minute);
  const s = second === undefined ? 0 : Number(second);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;

  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
  const offset = zoneOffsetMinutes(zone);
  const start = Date.UTC(y, mo - 1, d, h, mi, s, millis) - offset * 60_000;
  const end = rangeEnd(start, { month, day, hour, second, fraction }, y, mo, d);
  return { start, end };
}

/** Parses a full instant (to the second, with a time zone), or returns `undefined`. */
export function parseInstant(value: string): number | undefined {
  const match = DATE_TIME.exec(value);
  if (match === null || match[6] === undefined || match[8] === undefined) return undefined;
  return parseDateRange(value)?.start;
}

function rangeEnd(
  start: number,
  parts: { month?: string; day?: string; hour?: string; second?: string; fraction?: string },
  year: number,
  month: number,
  day: number,
): number {
  if (parts.month === undefined) return Date.UTC(year + 1, 0, 1);
  if (parts.day === undefined) return Date.UTC(year, month, 1);
  if (parts.hour === undefined) return Date.UTC(year, month - 1, day + 1);
  if (parts.second === undefined) return start + 60_000;
  if (parts.fraction === undefined) return start + 1_000;
  return start + 10 ** Math.max(0, 3 - parts.fraction.length);
}

function zoneOffsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
