/**
 * A task template's default due offset: "+2 days", "+3 hours", "+1 week",
 * "+1 month 2 days". Calendar parts (months, days) are added in the tenant's
 * time zone, so "+1 day" is the same wall-clock time the next day across a
 * DST change; clock parts (hours, minutes) are elapsed time.
 */
export interface DueOffset {
  months: number;
  days: number;
  hours: number;
  minutes: number;
}

const UNITS: Record<string, { field: keyof DueOffset; factor: number }> = {
  minute: { field: 'minutes', factor: 1 },
  min: { field: 'minutes', factor: 1 },
  hour: { field: 'hours', factor: 1 },
  day: { field: 'days', factor: 1 },
  week: { field: 'days', factor: 7 },
  month: { field: 'months', factor: 1 },
};

const PART = /(\d{1,6})\s*([a-z]+?)s?(?=\s|,|$)/y;

/** About ten years: further than any follow-up, and far inside PostgreSQL's limits. */
const MAX_MINUTES = 10 * 366 * 24 * 60;

function approxMinutes(o: DueOffset): number {
  return ((o.months * 31 + o.days) * 24 + o.hours) * 60 + o.minutes;
}

/** The offset, or null when `text` is not a positive duration like "+2 days". */
export function parseDueOffset(text: string): DueOffset | null {
  const s = text.trim().toLowerCase();
  const offset: DueOffset = { months: 0, days: 0, hours: 0, minutes: 0 };
  // Parts may be separated, and preceded, by spaces, commas and plus signs: "+1 day, +2 hours".
  const skipSeparators = (from: number) => from + (/^[\s,+]*/.exec(s.slice(from))?.[0].length ?? 0);
  let at = skipSeparators(0);
  if (at === s.length) return null;
  while (at < s.length) {
    PART.lastIndex = at;
    const match = PART.exec(s);
    const unit = match && UNITS[match[2]!];
    if (!match || !unit) return null;
    offset[unit.field] += Number(match[1]) * unit.factor;
    at = skipSeparators(PART.lastIndex);
  }
  const total = approxMinutes(offset);
  return total > 0 && total <= MAX_MINUTES ? offset : null;
}

/** The canonical text of an offset: "+1 week", "+1 month 2 days 3 hours". */
export function formatDueOffset(o: DueOffset): string {
  const part = (n: number, unit: string) => (n === 0 ? [] : [`${n} ${unit}${n === 1 ? '' : 's'}`]);
  const days = o.days % 7 === 0 ? part(o.days / 7, 'week') : part(o.days, 'day');
  return `+${[...part(o.months, 'month'), ...days, ...part(o.hours, 'hour'), ...part(o.minutes, 'minute')].join(' ')}`;
}

export const DUE_OFFSET_HELP =
  'a positive duration like "+2 days", "+3 hours", "+1 week" or "+1 month 2 days" (minutes, hours, days, weeks, months)';
