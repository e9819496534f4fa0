/**
 * Protocol parameters of the ALL-USE wheel, one flat object of numbers so an optimiser (src/core/optimise)
 * can tune any of them: `PARAM_SPACE` gives the tunable ranges under the same names, and
 * {@link withTrialParams} merges a trial's values into a baseline and validates the result.
 *
 * Defaults are the protocol's baseline from the design (delta ranges 40-50 / 30-40 / 20-30, GEN Thursday
 * and REV Monday entries, profit-take 50 %, roll at delta ≥ 0.50 or loss 20 % of premium, ATR 0.5/1.0/1.5,
 * VIX bands 15/25/35). Where the design names a knob but not its value, the default chosen here is
 * marked "(chosen)" in its comment.
 *
 * The market model (volatility source, capital, rate) lives apart in {@link MarketModel}: it describes the
 * simulated world, not the protocol, and must not be tuned by an optimiser.
 */
import type { AccountType } from '../events/constants.ts';
import type { SpaceSpec } from '../optimise/space.ts';

export interface ProtocolParams {
  /** Lower end of the account's |delta| range for short options. GEN 0.40, REV 0.30, COM 0.20. */
  readonly deltaMin: number;
  /** Upper end of the |delta| range. GEN 0.50, REV 0.40, COM 0.30. The target starts at the midpoint. */
  readonly deltaMax: number;
  /** Entry weekday, 1 = Monday … 5 = Friday. GEN 4 (Thursday); REV 1 (Monday, first day of its Mon-Wed window); COM 1 (chosen: the design names no day). */
  readonly entryWeekday: number;
  /**
   * Expiry is the first Friday at least `minDte` calendar days after entry. GEN 7 → next week's Friday
   * (8 DTE from Thursday); REV and COM 4 → the same week's Friday (4 DTE from Monday) (chosen).
   */
  readonly minDte: number;
  /** Delta shift in a Green regime (uptrend: close > SMA50 and SMA20 > SMA50) (chosen +0.05). */
  readonly regimeAdjGreen: number;
  /** Delta shift in a Red regime (downtrend: close < SMA50 and SMA20 < SMA50) (chosen −0.05). */
  readonly regimeAdjRed: number;
  /** Delta shift in Chop (anything else) (chosen 0). */
  readonly regimeAdjChop: number;
  /** VIX band edges (design: 15 / 25 / 35). */
  readonly vixBand1: number;
  readonly vixBand2: number;
  readonly vixBand3: number;
  /** Delta shift per VIX band: below band1, band1-band2, band2-band3, above band3 (chosen 0, 0, −0.05, −0.10). */
  readonly vixAdjLow: number;
  readonly vixAdjNormal: number;
  readonly vixAdjElevated: number;
  readonly vixAdjHigh: number;
  /** No new put is sold while VIX is above this (covered calls are still sold) (chosen 45). */
  readonly vixMaxEntry: number;
  /**
   * ATR(14) adjustment: the underlying's 5-day move in ATR units is compared with these thresholds
   * (design 0.5 / 1.0 / 1.5); the largest one crossed widens the strike away from the money by the
   * matching `atrWiden*` ATRs (chosen 0.25 / 0.5 / 0.75).
   */
  readonly atrThreshold1: number;
  readonly atrThreshold2: number;
  readonly atrThreshold3: number;
  readonly atrWiden1: number;
  readonly atrWiden2: number;
  readonly atrWiden3: number;
  /** Close the short option when it has lost this fraction of its premium (design 50-80 %; baseline 0.5). */
  readonly profitTakePct: number;
  /**
   * Roll window: roll triggers are checked only when at most this many calendar days remain. The design's
   * 21 DTE belongs to monthly options (about half their life); for weekly options half the life is about
   * 2 days (chosen 2). Expiry day itself is never a roll day: the option settles.
   */
  readonly rollDte: number;
  /** Roll trigger: |delta| at or above this (design 0.50). */
  readonly rollDelta: number;
  /** Roll trigger: option value above premium by this fraction of the premium (design: loss −20 %). */
  readonly rollLossPct: number;
  /** Rolls allowed per position; after that it is held to expiry (chosen 1). */
  readonly maxRolls: number;
  /** Stop: buy back a short put whose value reaches (1 + stopLossPct) × premium; 0 disables (baseline: off, the wheel takes assignment). */
  readonly stopLossPct: number;
  /** Covered calls are never struck below the assignment price (1) or may be (0) (chosen 1). */
  readonly callStrikeFloorAtCost: number;
  /** Fraction of equity never committed to puts (chosen 0.10). */
  readonly cashBufferPct: number;
  /** Commission per option contract, USD (chosen 0.65). */
  readonly commissionPerContract: number;
  /** Slippage as a fraction of premium, paid on every option trade (chosen 0.03). */
  readonly slippagePct: number;
}

/** Volatility source: VIX scaled to the symbol, or the symbol's own realised volatility. */
export type VolModel = 'vix-scaled' | 'realised';

/** The simulated market, not tuned. */
export interface MarketModel {
  /**
   * `vix-scaled` (default): σ_t = VIX_t/100 × RV_sym(L) / mean(VIX/100 over the same L days), i.e. the
   * symbol's trailing realised volatility moved up and down with the market's fear gauge. The design data
   * has no SPY after 2021-03, so the index's realised volatility is proxied by VIX's own trailing mean.
   * `realised`: σ_t = the symbol's 20-day realised volatility.
   */
  readonly volModel: VolModel;
  /** Trailing window L of the vix-scaled ratio, trading days. @default 126 */
  readonly volLookbackDays: number;
  /** Window of the realised-volatility model, trading days. @default 20 */
  readonly realisedWindowDays: number;
  /** Multiplier on the model volatility (1 = no volatility risk premium). @default 1 */
  readonly ivMultiplier: number;
  /** Lowest volatility used for pricing. @default 0.05 */
  readonly volFloor: number;
  /** Risk-free rate for pricing; cash earns nothing (a simplification). @default 0.02 */
  readonly riskFreeRate: number;
  /** Starting capital, USD. @default 100000 */
  readonly initialCapital: number;
}

export const DEFAULT_MARKET: MarketModel = {
  volModel: 'vix-scaled',
  volLookbackDays: 126,
  realisedWindowDays: 20,
  ivMultiplier: 1,
  volFloor: 0.05,
  riskFreeRate: 0.02,
  initialCapital: 100_000,
};

const COMMON = {
  regimeAdjGreen: 0.05,
  regimeAdjRed: -0.05,
  regimeAdjChop: 0,
  vixBand1: 15,
  vixBand2: 25,
  vixBand3: 35,
  vixAdjLow: 0,
  vixAdjNormal: 0,
  vixAdjElevated: -0.05,
  vixAdjHigh: -0.1,
  vixMaxEntry: 45,
  atrThreshold1: 0.5,
  atrThreshold2: 1.0,
  atrThreshold3: 1.5,
  atrWiden1: 0.25,
  atrWiden2: 0.5,
  atrWiden3: 0.75,
  profitTakePct: 0.5,
  rollDte: 2,
  rollDelta: 0.5,
  rollLossPct: 0.2,
  maxRolls: 1,
  stopLossPct: 0,
  callStrikeFloorAtCost: 1,
  cashBufferPct: 0.1,
  commissionPerContract: 0.65,
  slippagePct: 0.03,
} as const;

/** Baseline protocol per account type. */
export const BASELINE_PARAMS: Readonly<Record<AccountType, ProtocolParams>> = {
  GEN: { ...COMMON, deltaMin: 0.4, deltaMax: 0.5, entryWeekday: 4, minDte: 7 },
  REV: { ...COMMON, deltaMin: 0.3, deltaMax: 0.4, entryWeekday: 1, minDte: 4 },
  COM: { ...COMMON, deltaMin: 0.2, deltaMax: 0.3, entryWeekday: 1, minDte: 4 },
};

/** Account targets from the design: weekly return and the maximum drawdown allowed. */
export const ACCOUNT_TARGETS: Readonly<Record<AccountType, { weeklyReturn: number; maxDrawdown: number }>> = {
  GEN: { weeklyReturn: 0.015, maxDrawdown: 0.15 },
  REV: { weeklyReturn: 0.01, maxDrawdown: 0.1 },
  COM: { weeklyReturn: 0.005, maxDrawdown: 0.07 },
};

/**
 * Symbols each account trades. The design names none for COM; it uses the REV symbols here.
 */
export const ACCOUNT_SYMBOLS: Readonly<Record<AccountType, readonly string[]>> = {
  GEN: ['TSLA', 'NVDA'],
  REV: ['AAPL', 'AMZN', 'MSFT'],
  COM: ['AAPL', 'AMZN', 'MSFT'],
};

/**
 * Tunable ranges, keyed by {@link ProtocolParams} field. Fields not listed (entry weekday, costs, VIX band
 * edges) are held fixed: they describe the account or the broker rather than a decision. The delta range
 * is account-specific in practice; a study for one account should narrow deltaMin/deltaMax around its range.
 */
export const PARAM_SPACE: SpaceSpec = {
  deltaMin: { type: 'float', low: 0.1, high: 0.5, step: 0.01 },
  deltaMax: { type: 'float', low: 0.15, high: 0.6, step: 0.01 },
  minDte: { type: 'int', low: 1, high: 14 },
  regimeAdjGreen: { type: 'float', low: -0.1, high: 0.1, step: 0.01 },
  regimeAdjRed: { type: 'float', low: -0.15, high: 0.05, step: 0.01 },
  vixAdjElevated: { type: 'float', low: -0.15, high: 0.05, step: 0.01 },
  vixAdjHigh: { type: 'float', low: -0.2, high: 0, step: 0.01 },
  vixMaxEntry: { type: 'float', low: 20, high: 80 },
  atrWiden1: { type: 'float', low: 0, high: 1 },
  atrWiden2: { type: 'float', low: 0, high: 1.5 },
  atrWiden3: { type: 'float', low: 0, high: 2 },
  profitTakePct: { type: 'float', low: 0.5, high: 0.8, step: 0.05 },
  rollDte: { type: 'int', low: 0, high: 5 },
  rollDelta: { type: 'float', low: 0.4, high: 0.8, step: 0.05 },
  rollLossPct: { type: 'float', low: 0.2, high: 3 },
  maxRolls: { type: 'int', low: 0, high: 3 },
  stopLossPct: { type: 'float', low: 0, high: 5 },
  cashBufferPct: { type: 'float', low: 0, high: 0.5 },
};

/** Raised for invalid protocol or market parameters; the message names the field and the rule. */
export class ParamsError extends Error {
  override readonly name = 'ParamsError';
}

function req(ok: boolean, field: string, rule: string, value: unknown): void {
  if (!ok) throw new ParamsError(`${field} ${rule}, got ${String(value)}`);
}

/** Throws {@link ParamsError} unless every field is finite and the cross-field rules hold. */
export function validateParams(p: ProtocolParams): void {
  for (const [k, v] of Object.entries(p))
    req(typeof v === 'number' && Number.isFinite(v), k, 'must be a finite number', v);
  req(p.deltaMin > 0 && p.deltaMin < 1, 'deltaMin', 'must be in (0, 1)', p.deltaMin);
  req(p.deltaMax > 0 && p.deltaMax < 1, 'deltaMax', 'must be in (0, 1)', p.deltaMax);
  req(p.deltaMin <= p.deltaMax, 'deltaMin', `must be <= deltaMax (${p.deltaMax})`, p.deltaMin);
  req(
    Number.isInteger(p.entryWeekday) && p.entryWeekday >= 1 && p.entryWeekday <= 5,
    'entryWeekday',
    'must be an integer 1 (Monday) .. 5 (Friday)',
    p.entryWeekday,
  );
  req(Number.isInteger(p.minDte) && p.minDte >= 0, 'minDte', 'must be an integer >= 0', p.minDte);
  req(
    p.vixBand1 <= p.vixBand2 && p.vixBand2 <= p.vixBand3,
    'vixBand1..3',
    'must be non-decreasing',
    `${p.vixBand1}/${p.vixBand2}/${p.vixBand3}`,
  );
  req(
    p.atrThreshold1 <= p.atrThreshold2 && p.atrThreshold2 <= p.atrThreshold3,
    'atrThreshold1..3',
    'must be non-decreasing',
    `${p.atrThreshold1}/${p.atrThreshold2}/${p.atrThreshold3}`,
  );
  for (const k of [
    'atrWiden1',
    'atrWiden2',
    'atrWiden3',
    'rollLossPct',
    'stopLossPct',
    'commissionPerContract',
    'slippagePct',
    'rollDte',
  ] as const) {
    req(p[k] >= 0, k, 'must be >= 0', p[k]);
  }
  req(p.profitTakePct > 0 && p.profitTakePct <= 1, 'profitTakePct', 'must be in (0, 1]', p.profitTakePct);
  req(p.rollDelta > 0 && p.rollDelta <= 1, 'rollDelta', 'must be in (0, 1]', p.rollDelta);
  req(Number.isInteger(p.maxRolls) && p.maxRolls >= 0, 'maxRolls', 'must be an integer >= 0', p.maxRolls);
  req(p.cashBufferPct >= 0 && p.cashBufferPct < 1, 'cashBufferPct', 'must be in [0, 1)', p.cashBufferPct);
  req(p.slippagePct < 1, 'slippagePct', 'must be < 1', p.slippagePct);
  req(
    p.callStrikeFloorAtCost === 0 || p.callStrikeFloorAtCost === 1,
    'callStrikeFloorAtCost',
    'must be 0 or 1',
    p.callStrikeFloorAtCost,
  );
}

/** Throws {@link ParamsError} for an invalid market model. */
export function validateMarket(m: MarketModel): void {
  req(
    m.volModel === 'vix-scaled' || m.volModel === 'realised',
    'volModel',
    "must be 'vix-scaled' or 'realised'",
    m.volModel,
  );
  req(
    Number.isInteger(m.volLookbackDays) && m.volLookbackDays >= 5,
    'volLookbackDays',
    'must be an integer >= 5',
    m.volLookbackDays,
  );
  req(
    Number.isInteger(m.realisedWindowDays) && m.realisedWindowDays >= 5,
    'realisedWindowDays',
    'must be an integer >= 5',
    m.realisedWindowDays,
  );
  req(m.ivMultiplier > 0, 'ivMultiplier', 'must be > 0', m.ivMultiplier);
  req(m.volFloor > 0, 'volFloor', 'must be > 0', m.volFloor);
  req(Number.isFinite(m.riskFreeRate), 'riskFreeRate', 'must be finite', m.riskFreeRate);
  req(m.initialCapital > 0, 'initialCapital', 'must be > 0', m.initialCapital);
}

/**
 * A baseline with an optimiser trial's values merged in, validated (an invalid combination such as
 * deltaMin > deltaMax throws, so the trial can be marked failed).
 *
 * @example
 * const p = withTrialParams(BASELINE_PARAMS.REV, { profitTakePct: 0.65 });
 */
export function withTrialParams(
  base: ProtocolParams,
  trial: Readonly<Record<string, unknown>>,
): ProtocolParams {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(trial)) {
    if (!(k in base)) throw new ParamsError(`${k} is not a protocol parameter`);
    out[k] = v;
  }
  const p = out as unknown as ProtocolParams;
  validateParams(p);
  return p;
}
