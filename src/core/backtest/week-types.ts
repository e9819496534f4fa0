/**
 * Classification of a simulated week into the 11 ALL-USE week types. The design names the types and the
 * move buckets (±1, 5, 10, 15 %) but not the rules; the rules chosen here are all in {@link WEEK_TYPE_RULES},
 * evaluated top to bottom, first match wins.
 *
 * A week is Monday..Friday. Its `side` is decided by the state at the previous week's close:
 *   - `call` when shares were held (the week is about covered calls),
 *   - `put` when no shares were held and a short put was open at some close during the week,
 *   - `idle` otherwise.
 * Its `move` is the underlying's close-to-close change from the previous week's last close to this week's.
 */
import type { WeekType } from '../events/constants.ts';

/** What happened in a week, as the simulator records it. */
export interface WeekFacts {
  readonly side: 'put' | 'call' | 'idle';
  /** Underlying's weekly close-to-close return (fraction). */
  readonly move: number;
  /** A put was assigned (put side) or shares were called away (call side) this week. */
  readonly assigned: boolean;
  /** A short option of the week's side was rolled this week. */
  readonly rolled: boolean;
  /** A short put was stopped out this week. */
  readonly stopped: boolean;
  /** Call side: the underlying closed the week below the shares' cost basis. */
  readonly underwater: boolean;
}

/** One row of the classification table: the side it applies to and its condition on the week's facts. */
export interface WeekTypeRule {
  readonly type: WeekType;
  readonly side: WeekFacts['side'];
  readonly when: (f: WeekFacts) => boolean;
  readonly meaning: string;
}

/** Edges of the weekly move buckets from the design. */
export const MOVE_BUCKET_EDGES = [0.01, 0.05, 0.1, 0.15] as const;

/**
 * The move bucket label of a weekly return, e.g. '-10..-5%' or '>=15%' (edges ±1, 5, 10, 15 %).
 * Reported with every week; the rules below use the 5 % and 10 % edges.
 */
export function moveBucket(move: number): string {
  const pct = move * 100;
  const edges = MOVE_BUCKET_EDGES.map((e) => e * 100);
  const top = edges[edges.length - 1] as number;
  if (pct >= top) return `>=${top}%`;
  if (pct <= -top) return `<=-${top}%`;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i] as number;
    const prev = i === 0 ? 0 : (edges[i - 1] as number);
    if (i === 0 && Math.abs(pct) < e) return `-${e}..${e}%`;
    if (pct >= prev && pct < e) return `${prev}..${e}%`;
    if (pct <= -prev && pct > -e) return `-${e}..-${prev}%`;
  }
  return `>=${top}%`;
}

/** The classification table, in priority order. Every week matches exactly one row (the last of each side is a catch-all). */
export const WEEK_TYPE_RULES: readonly WeekTypeRule[] = [
  {
    type: 'W-IDL',
    side: 'idle',
    when: () => true,
    meaning:
      'idle: no shares and no short option during the week (VIX filter, too little capital, or between cycles)',
  },
  {
    type: 'P-DD',
    side: 'put',
    when: (f) => f.move <= -0.1,
    meaning: 'put week with a deep drawdown: the underlying fell 10 % or more, whatever the management did',
  },
  {
    type: 'P-RO',
    side: 'put',
    when: (f) => f.rolled,
    meaning:
      'put rolled: a roll trigger (delta or loss) fired and the put was bought back and resold further out',
  },
  {
    type: 'P-AOL',
    side: 'put',
    when: (f) => (f.assigned && f.move <= -0.05) || f.stopped,
    meaning: 'put assigned outside limits (the underlying fell 5-10 %), or stopped out at a loss',
  },
  {
    type: 'P-AWL',
    side: 'put',
    when: (f) => f.assigned,
    meaning: 'put assigned within limits: assignment after a move smaller than -5 %',
  },
  {
    type: 'P-EW',
    side: 'put',
    when: () => true,
    meaning:
      'put expired worthless, was closed at the profit-take, or is still open out of the money: premium kept',
  },
  {
    type: 'C-WAP+',
    side: 'call',
    when: (f) => f.assigned && f.move >= 0.05,
    meaning: 'shares called away after a strong up move (+5 % or more)',
  },
  {
    type: 'C-WAP',
    side: 'call',
    when: (f) => f.assigned,
    meaning: 'shares called away at the strike (with profit when the strike is at or above cost)',
  },
  { type: 'C-RO', side: 'call', when: (f) => f.rolled, meaning: 'call rolled up and out to keep the shares' },
  {
    type: 'C-REC',
    side: 'call',
    when: (f) => f.underwater,
    meaning: 'recovery: shares held below cost basis, calls sold while waiting for the price to come back',
  },
  {
    type: 'C-PNO',
    side: 'call',
    when: () => true,
    meaning: 'call premium kept, no assignment, shares at or above cost',
  },
];

/**
 * The week type of one simulated week, by the first matching row of {@link WEEK_TYPE_RULES}.
 *
 * @example
 * classifyWeek({ side: 'put', move: 0.002, assigned: false, rolled: false, stopped: false, underwater: false }); // 'P-EW'
 */
export function classifyWeek(f: WeekFacts): WeekType {
  if (!Number.isFinite(f.move)) throw new RangeError(`classifyWeek: move must be finite, got ${f.move}`);
  for (const r of WEEK_TYPE_RULES) if (r.side === f.side && r.when(f)) return r.type;
  throw new RangeError(`classifyWeek: side must be put, call or idle, got ${String(f.side)}`);
}
