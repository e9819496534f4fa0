/**
 * ALL-USE week-type attribution: where each account type's return came from, week type by week type, how it
 * compares with what was expected, and whether the account keeps to its protocol target and drawdown limit.
 */
import { ACCOUNT_TYPES, type AccountType, WEEK_TYPES, type WeekType } from '../../events/constants.ts';
import type { WeekData } from '../../events/index.ts';
import { drawdowns } from './drawdowns.ts';
import { RiskInputError } from './errors.ts';

/** The protocol rules of one account type. Fractions, not percentages. */
export interface AccountRule {
  readonly name: string;
  /** Short-option delta range, in delta points. */
  readonly deltaRange: readonly [number, number];
  /** Days new positions are opened; absent where the protocol does not fix them. */
  readonly entryDays?: readonly string[];
  /** Underlyings traded; absent where the protocol does not fix them. */
  readonly symbols?: readonly string[];
  /** Target return per week. */
  readonly weeklyTarget: number;
  /** Largest drawdown tolerated, from the account's running peak. */
  readonly maxDrawdown: number;
  readonly withdrawals: boolean;
}

/** The ALL-USE account rules (design: "ALL-USE in one paragraph"), the one place they are written down. */
export const ACCOUNT_RULES = {
  GEN: {
    name: 'Generation',
    deltaRange: [40, 50],
    entryDays: ['Thu'],
    symbols: ['TSLA', 'NVDA'],
    weeklyTarget: 0.015,
    maxDrawdown: 0.15,
    withdrawals: true,
  },
  REV: {
    name: 'Revenue',
    deltaRange: [30, 40],
    entryDays: ['Mon', 'Tue', 'Wed'],
    symbols: ['AAPL', 'AMZN', 'MSFT'],
    weeklyTarget: 0.01,
    maxDrawdown: 0.1,
    withdrawals: true,
  },
  COM: {
    name: 'Compounding',
    deltaRange: [20, 30],
    weeklyTarget: 0.005,
    maxDrawdown: 0.07,
    withdrawals: false,
  },
} as const satisfies Readonly<Record<AccountType, AccountRule>>;

/** One account-week. */
export interface WeekRecord {
  readonly account: AccountType;
  readonly weekType: WeekType;
  /** Realised return of the week, a fraction (≥ −1). */
  readonly actualReturn: number;
  /** What the protocol expected of this week; the account's weekly target when absent. */
  readonly expectedReturn?: number;
  /** Separates accounts of one type, so each has its own equity curve for drawdowns. */
  readonly accountId?: string;
  /** `YYYY-Www`; when every week of an account has one, its equity curve is built in that order. */
  readonly isoWeek?: string;
}

export interface AttributionOptions {
  /** Replaces {@link ACCOUNT_RULES}, e.g. for a what-if review. */
  readonly rules?: Readonly<Record<AccountType, Pick<AccountRule, 'weeklyTarget' | 'maxDrawdown'>>>;
  /** Weeks an account needs before missing its weekly target counts as a breach. @default 4 */
  readonly minWeeksForTarget?: number;
  /** Share of the drawdown limit at which an account's status becomes `warning`. @default 0.8 */
  readonly warningFraction?: number;
}

export interface WeekTypeAttribution {
  readonly account: AccountType;
  readonly weekType: WeekType;
  readonly count: number;
  readonly meanActual: number;
  readonly meanExpected: number;
  /** Weeks whose expectation was the account's target because the record had none. */
  readonly expectedFromTarget: number;
  /** Sum of the weeks' actual returns: this week type's part of the account's summed return. */
  readonly totalContribution: number;
  readonly expectedContribution: number;
  /** expectedContribution − totalContribution: positive when the week type fell short. */
  readonly shortfall: number;
  /** Share of weeks at or above their expectation. */
  readonly hitRate: number;
}

export type AccountStatus = 'ok' | 'warning' | 'breach';

export interface AccountAttribution {
  readonly account: AccountType;
  readonly weeks: number;
  /** Sum of weekly returns (what the week-type contributions add up to). */
  readonly totalReturn: number;
  /** Π(1 + r) − 1 over the weeks in order. */
  readonly compoundedReturn: number;
  readonly meanWeeklyReturn: number;
  /** (Π(1 + r))^(1/n) − 1: the steady weekly rate that compounds to the same result. */
  readonly geometricWeeklyReturn: number;
  readonly weeklyTarget: number;
  /** geometricWeeklyReturn − weeklyTarget. */
  readonly targetGap: number;
  readonly meetsTarget: boolean;
  /** The worst drawdown of any account of this type, a fraction. */
  readonly maxDrawdown: number;
  /** The account it happened in, when the records name accounts. */
  readonly maxDrawdownAccountId?: string;
  readonly maxDrawdownLimit: number;
  /** maxDrawdown / maxDrawdownLimit. */
  readonly drawdownUsage: number;
  /** Drawdown standing: `warning` from warningFraction × the limit, `breach` beyond it. */
  readonly status: AccountStatus;
}

/** A rule an account broke: the basis of a RiskLimitBreached event. */
export interface RiskBreach {
  readonly account: AccountType;
  readonly accountId?: string;
  readonly rule: 'max_drawdown' | 'weekly_target';
  readonly limit: number;
  readonly actual: number;
  readonly weeks: number;
  readonly message: string;
}

export interface AttributionResult {
  /** One row per account type and week type that occurs, in ACCOUNT_TYPES then WEEK_TYPES order. */
  readonly byWeekType: readonly WeekTypeAttribution[];
  /** One row per account type that occurs. */
  readonly accounts: readonly AccountAttribution[];
  readonly breaches: readonly RiskBreach[];
}

const pct = (x: number): string => `${Number((x * 100).toFixed(2))} %`;

function checkWeeks(weeks: readonly WeekRecord[]): void {
  if (!Array.isArray(weeks)) throw new RiskInputError('weeks must be an array of week records');
  weeks.forEach((w, i) => {
    if (!w || typeof w !== 'object') throw new RiskInputError(`weeks[${i}] must be an object`);
    if (!(ACCOUNT_TYPES as readonly string[]).includes(w.account)) {
      throw new RiskInputError(
        `weeks[${i}].account must be one of ${ACCOUNT_TYPES.join(', ')}, got ${String(w.account)}`,
      );
    }
    if (!(WEEK_TYPES as readonly string[]).includes(w.weekType)) {
      throw new RiskInputError(
        `weeks[${i}].weekType must be one of ${WEEK_TYPES.join(', ')}, got ${String(w.weekType)}`,
      );
    }
    if (typeof w.actualReturn !== 'number' || !Number.isFinite(w.actualReturn) || w.actualReturn < -1) {
      throw new RiskInputError(
        `weeks[${i}].actualReturn must be a finite fraction >= -1, got ${String(w.actualReturn)}`,
      );
    }
    if (
      w.expectedReturn !== undefined &&
      (typeof w.expectedReturn !== 'number' || !Number.isFinite(w.expectedReturn))
    ) {
      throw new RiskInputError(
        `weeks[${i}].expectedReturn must be a finite fraction when present, got ${String(w.expectedReturn)}`,
      );
    }
  });
}

/**
 * The week record of a `week` event's data, or undefined while its actual return is not known yet. The
 * actual week type wins over the predicted one; the predicted return is the expectation.
 */
export function weekRecordFromEvent(data: WeekData): WeekRecord | undefined {
  if (data.actualReturn === undefined) return undefined;
  return {
    account: data.account,
    weekType: data.actualWeekType ?? data.predictedWeekType,
    actualReturn: data.actualReturn,
    ...(data.predictedReturn === undefined ? {} : { expectedReturn: data.predictedReturn }),
    ...(data.accountId === undefined ? {} : { accountId: data.accountId }),
    isoWeek: data.isoWeek,
  };
}

/**
 * Attributes realised weekly returns to account and week type, against expectation, and checks each
 * account type against its protocol target (geometric mean weekly return) and drawdown limit.
 * Drawdowns are measured per account (accountId, else one curve per type) on the compounded weekly returns,
 * in isoWeek order when every week carries one, else in input order.
 * Throws {@link RiskInputError} naming the first bad record and field.
 *
 * @example
 * const r = weekTypeAttribution([{ account: 'GEN', weekType: 'P-EW', actualReturn: 0.018 }, ...]);
 * r.byWeekType; // [{ account: 'GEN', weekType: 'P-EW', count: 12, shortfall: -0.004, ... }, ...]
 * r.breaches;   // [{ account: 'COM', rule: 'max_drawdown', limit: 0.07, actual: 0.082, ... }]
 */
export function weekTypeAttribution(
  weeks: readonly WeekRecord[],
  options: AttributionOptions = {},
): AttributionResult {
  checkWeeks(weeks);
  const rules = options.rules ?? ACCOUNT_RULES;
  const minWeeks = options.minWeeksForTarget ?? 4;
  if (!Number.isInteger(minWeeks) || minWeeks < 1) {
    throw new RiskInputError(`minWeeksForTarget must be an integer >= 1, got ${String(minWeeks)}`);
  }
  const warningFraction = options.warningFraction ?? 0.8;
  if (typeof warningFraction !== 'number' || !(warningFraction > 0 && warningFraction <= 1)) {
    throw new RiskInputError(`warningFraction must be a number in (0, 1], got ${String(warningFraction)}`);
  }

  const byWeekType: WeekTypeAttribution[] = [];
  const accounts: AccountAttribution[] = [];
  const breaches: RiskBreach[] = [];
  for (const account of ACCOUNT_TYPES) {
    const own = weeks.filter((w) => w.account === account);
    if (own.length === 0) continue;
    const rule = rules[account];
    for (const weekType of WEEK_TYPES) {
      const rows = own.filter((w) => w.weekType === weekType);
      if (rows.length === 0) continue;
      let actual = 0;
      let expected = 0;
      let fromTarget = 0;
      let hits = 0;
      for (const w of rows) {
        const e = w.expectedReturn ?? rule.weeklyTarget;
        if (w.expectedReturn === undefined) fromTarget++;
        actual += w.actualReturn;
        expected += e;
        if (w.actualReturn >= e) hits++;
      }
      byWeekType.push({
        account,
        weekType,
        count: rows.length,
        meanActual: actual / rows.length,
        meanExpected: expected / rows.length,
        expectedFromTarget: fromTarget,
        totalContribution: actual,
        expectedContribution: expected,
        shortfall: expected - actual,
        hitRate: hits / rows.length,
      });
    }

    let total = 0;
    let logGrowth = 0;
    for (const w of own) {
      total += w.actualReturn;
      logGrowth += Math.log1p(w.actualReturn);
    }
    const n = own.length;
    const geometric = Math.expm1(logGrowth / n);

    // One equity curve per account: mixing two accounts' weeks in one curve would invent drawdowns.
    const curves = new Map<string | undefined, WeekRecord[]>();
    for (const w of own) {
      const list = curves.get(w.accountId) ?? [];
      list.push(w);
      curves.set(w.accountId, list);
    }
    let maxDd = 0;
    let maxDdId: string | undefined;
    for (const [id, list] of curves) {
      const ordered = list.every((w) => typeof w.isoWeek === 'string')
        ? [...list].sort((a, b) => (a.isoWeek as string).localeCompare(b.isoWeek as string))
        : list;
      const dd = drawdowns(
        ordered.map((w) => w.actualReturn),
        { input: 'returns' },
      ).maxDrawdown;
      if (dd > maxDd) {
        maxDd = dd;
        maxDdId = id;
      }
      if (dd > rule.maxDrawdown) {
        breaches.push({
          account,
          ...(id === undefined ? {} : { accountId: id }),
          rule: 'max_drawdown',
          limit: rule.maxDrawdown,
          actual: dd,
          weeks: list.length,
          message: `${account}${id === undefined ? '' : ` account ${id}`} drew down ${pct(dd)}, beyond its limit of ${pct(rule.maxDrawdown)}`,
        });
      }
    }
    const meetsTarget = geometric >= rule.weeklyTarget;
    if (!meetsTarget && n >= minWeeks) {
      breaches.push({
        account,
        rule: 'weekly_target',
        limit: rule.weeklyTarget,
        actual: geometric,
        weeks: n,
        message: `${account} returned ${pct(geometric)} a week over ${n} weeks, below its target of ${pct(rule.weeklyTarget)}`,
      });
    }
    const usage = maxDd / rule.maxDrawdown;
    accounts.push({
      account,
      weeks: n,
      totalReturn: total,
      compoundedReturn: Math.expm1(logGrowth),
      meanWeeklyReturn: total / n,
      geometricWeeklyReturn: geometric,
      weeklyTarget: rule.weeklyTarget,
      targetGap: geometric - rule.weeklyTarget,
      meetsTarget,
      maxDrawdown: maxDd,
      ...(maxDdId === undefined ? {} : { maxDrawdownAccountId: maxDdId }),
      maxDrawdownLimit: rule.maxDrawdown,
      drawdownUsage: usage,
      status: usage > 1 ? 'breach' : usage >= warningFraction ? 'warning' : 'ok',
    });
  }
  return { byWeekType, accounts, breaches };
}
