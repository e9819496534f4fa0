/**
 * The ALL-USE weekly wheel on one symbol, simulated day by day on daily closes:
 *
 *   cash ──sell put on the entry day──► put open ──expires OTM / profit-take──► cash
 *                                          └──ITM at expiry: assigned──► shares ──sell covered call──► call open
 *   call open ──expires OTM / profit-take──► shares (sell the next call on the next entry day)
 *             └──ITM at expiry: called away──► cash
 *
 * Every trade happens at the day's close at the Black-Scholes value (model volatility, see MarketModel),
 * less slippage (a fraction of the premium) and a commission per contract. Daily management, in order:
 * expiry settlement; profit-take; stop (puts only, off by default); roll (only within `rollDte` days of
 * expiry, at most `maxRolls` times, to the first Friday at least `minDte` days out and after the old expiry).
 * New options are sold only on the account's entry day (the first trading day of the week on or after
 * `entryWeekday`) and only when none is open, so one option is open at a time.
 *
 * Simplifications (a model of the protocol, not a replay of quotes): European BS prices on a volatility
 * model instead of quoted option chains (no skew, no bid/ask beyond the slippage fraction); continuous
 * strikes (no strike grid); no early assignment; no dividends; cash earns nothing; trades at the close.
 */
import type { OptionRight, WeekType } from '../events/constants.ts';
import { bsDelta, bsPrice, strikeForDelta } from './black-scholes.ts';
import { BacktestDataError, type Bar, dayToIso, mondayOf, weekdayOf } from './data.ts';
import {
  DEFAULT_MARKET,
  type MarketModel,
  type ProtocolParams,
  validateMarket,
  validateParams,
} from './params.ts';
import { classifyWeek, moveBucket, type WeekFacts } from './week-types.ts';

/** Market regime used to shift the target delta. */
export type Regime = 'Green' | 'Red' | 'Chop';

/** One short option position. Prices per share; a contract is 100 shares. */
export interface OptionPosition {
  readonly right: OptionRight;
  readonly strike: number;
  readonly expiryDay: number;
  readonly contracts: number;
  /** Gross Black-Scholes premium per share at the sale (before slippage). */
  readonly premium: number;
  readonly rolls: number;
}

/** A cash-affecting event, for audit and tests. `cash` is the signed cash flow, USD. */
export interface TradeRecord {
  readonly date: string;
  readonly action: 'sell' | 'buyback' | 'expire' | 'assign' | 'call-away';
  readonly reason: 'entry' | 'profit-take' | 'stop' | 'roll' | 'expiry';
  readonly right: OptionRight;
  readonly strike: number;
  readonly contracts: number;
  /** Option price per share (0 for expire/assign). */
  readonly price: number;
  readonly cash: number;
  readonly commission: number;
  readonly slippage: number;
}

/** One simulated calendar week. */
export interface WeekRecord extends WeekFacts {
  /** Monday of the week (ISO date). */
  readonly week: string;
  /** Last trading day of the week (ISO date). */
  readonly lastDate: string;
  readonly equityStart: number;
  readonly equityEnd: number;
  /** equityEnd / equityStart − 1. */
  readonly return: number;
  readonly moveBucket: string;
  readonly weekType: WeekType;
}

export interface BacktestCounters {
  putsSold: number;
  callsSold: number;
  putsAssigned: number;
  callsAssigned: number;
  expiredWorthless: number;
  profitTakes: number;
  rolls: number;
  stops: number;
  skippedVix: number;
  skippedSize: number;
  premiumCollected: number;
  commissions: number;
  slippage: number;
}

export interface BacktestResult {
  /** Index of the first simulated bar (after the indicator warm-up, on a week boundary). */
  readonly startIndex: number;
  readonly startDate: string;
  readonly endDate: string;
  readonly initialCapital: number;
  readonly finalEquity: number;
  /** Mark-to-market equity at each simulated close. */
  readonly equity: readonly number[];
  readonly weeks: readonly WeekRecord[];
  readonly trades: readonly TradeRecord[];
  readonly counters: Readonly<BacktestCounters>;
  /** Option still open at the end (marked to market in finalEquity), if any. */
  readonly openOption: OptionPosition | null;
  readonly shares: number;
}

export interface BacktestInput {
  readonly bars: readonly Bar[];
  /** VIX close aligned with `bars` (see alignVix). */
  readonly vix: readonly number[];
  readonly params: ProtocolParams;
  readonly market?: Partial<MarketModel>;
}

/** Indicator series the simulator uses; NaN during their warm-up. */
export interface Indicators {
  readonly sma20: number[];
  readonly sma50: number[];
  /** Wilder ATR(14). */
  readonly atr14: number[];
  /** Annualised model volatility for pricing (before the floor). */
  readonly vol: number[];
  /** First index where every indicator is defined. */
  readonly ready: number;
}

function sma(x: readonly number[], n: number): number[] {
  const out = new Array<number>(x.length).fill(Number.NaN);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i] as number;
    if (i >= n) s -= x[i - n] as number;
    if (i >= n - 1) out[i] = s / n;
  }
  return out;
}

/**
 * SMA20/50, Wilder ATR(14) and the model volatility of the market model.
 * vix-scaled: σ_t = VIX_t/100 × RV(L)_t / mean(VIX/100)_{t−L+1..t}; realised: σ_t = RV(w)_t; both × ivMultiplier.
 * RV is the sample standard deviation of daily log returns × √252.
 */
export function computeIndicators(
  bars: readonly Bar[],
  vix: readonly number[],
  market: MarketModel,
): Indicators {
  const n = bars.length;
  const close = bars.map((b) => b.close);
  const atr = new Array<number>(n).fill(Number.NaN);
  let a = 0;
  for (let i = 1; i < n; i++) {
    const b = bars[i] as Bar;
    const pc = close[i - 1] as number;
    const tr = Math.max(b.high - b.low, Math.abs(b.high - pc), Math.abs(b.low - pc));
    if (i <= 14) {
      a += tr / 14;
      if (i === 14) atr[i] = a;
    } else {
      a = (a * 13 + tr) / 14;
      atr[i] = a;
    }
  }
  const ret = new Array<number>(n).fill(0);
  for (let i = 1; i < n; i++) ret[i] = Math.log((close[i] as number) / (close[i - 1] as number));
  const window = market.volModel === 'realised' ? market.realisedWindowDays : market.volLookbackDays;
  const vol = new Array<number>(n).fill(Number.NaN);
  let s = 0;
  let s2 = 0;
  let vs = 0;
  for (let i = 1; i < n; i++) {
    const r = ret[i] as number;
    s += r;
    s2 += r * r;
    vs += (vix[i] as number) / 100;
    if (i > window) {
      const old = ret[i - window] as number;
      s -= old;
      s2 -= old * old;
      vs -= (vix[i - window] as number) / 100;
    }
    if (i >= window) {
      const rv = Math.sqrt(Math.max(0, (s2 - (s * s) / window) / (window - 1)) * 252);
      const v = market.volModel === 'realised' ? rv : ((vix[i] as number) / 100) * (rv / (vs / window));
      vol[i] = v * market.ivMultiplier;
    }
  }
  return {
    sma20: sma(close, 20),
    sma50: sma(close, 50),
    atr14: atr,
    vol,
    ready: Math.max(50, 15, window + 1),
  };
}

/** Green / Red / Chop from the close and its 20- and 50-day averages (the design names the regimes, not the rule). */
export function regimeOf(close: number, sma20: number, sma50: number): Regime {
  if (close > sma50 && sma20 > sma50) return 'Green';
  if (close < sma50 && sma20 < sma50) return 'Red';
  return 'Chop';
}

/**
 * Target |delta| for a new short option: the midpoint of the account's range, shifted by regime and VIX
 * band, clamped to the range. A call mirrors the regime shift (fewer shares called away in an uptrend).
 */
export function targetDelta(p: ProtocolParams, right: OptionRight, regime: Regime, vix: number): number {
  const mid = (p.deltaMin + p.deltaMax) / 2;
  const reg = regime === 'Green' ? p.regimeAdjGreen : regime === 'Red' ? p.regimeAdjRed : p.regimeAdjChop;
  const band =
    vix < p.vixBand1
      ? p.vixAdjLow
      : vix < p.vixBand2
        ? p.vixAdjNormal
        : vix < p.vixBand3
          ? p.vixAdjElevated
          : p.vixAdjHigh;
  const d = mid + (right === 'put' ? reg : -reg) + band;
  return Math.min(p.deltaMax, Math.max(p.deltaMin, d));
}

/** Strike widening in ATRs from the underlying's 5-day move measured in ATR(14) units. */
export function atrWidening(p: ProtocolParams, moveInAtr: number): number {
  const m = Math.abs(moveInAtr);
  if (m >= p.atrThreshold3) return p.atrWiden3;
  if (m >= p.atrThreshold2) return p.atrWiden2;
  if (m >= p.atrThreshold1) return p.atrWiden1;
  return 0;
}

/** First Friday on or after `day + minDte` that is also after `after`. */
function expiryFriday(day: number, minDte: number, after: number): number {
  let f = Math.max(day + Math.max(minDte, 1), after + 1);
  while (weekdayOf(f) !== 5) f++;
  return f;
}

function checkInput(input: BacktestInput): void {
  const { bars, vix } = input;
  if (vix.length !== bars.length) {
    throw new BacktestDataError(
      `vix must have one value per bar: ${vix.length} values for ${bars.length} bars`,
    );
  }
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i] as Bar;
    if (!(b.close > 0 && b.high > 0 && b.low > 0 && b.open > 0)) {
      throw new BacktestDataError(`bars[${i}] (${b.date}): prices must be > 0`);
    }
    if (i > 0 && b.day <= (bars[i - 1] as Bar).day) {
      throw new BacktestDataError(
        `bars[${i}]: dates must be strictly increasing, got ${b.date} after ${(bars[i - 1] as Bar).date}`,
      );
    }
    const v = vix[i] as number;
    if (!(v > 0) || !Number.isFinite(v))
      throw new BacktestDataError(`vix[${i}] (${b.date}) must be a positive number, got ${v}`);
  }
}

/**
 * Runs the wheel over `bars` (daily, sorted) with one VIX close per bar. Deterministic.
 *
 * @example
 * const bars = parsePriceCsv(text);
 * const { vix } = alignVix(bars, parseVixCsv(vixText));
 * const r = runBacktest({ bars, vix, params: BASELINE_PARAMS.REV });
 * summarise(r, 'REV');
 */
export function runBacktest(input: BacktestInput): BacktestResult {
  checkInput(input);
  const p = input.params;
  validateParams(p);
  const market: MarketModel = { ...DEFAULT_MARKET, ...input.market };
  validateMarket(market);
  const { bars, vix } = input;
  const n = bars.length;
  const ind = computeIndicators(bars, vix, market);
  let start = ind.ready;
  while (start < n && mondayOf((bars[start] as Bar).day) === mondayOf((bars[start - 1] as Bar).day)) start++;
  if (start >= n - 1) {
    throw new BacktestDataError(
      `bars: ${n} days are too few: the indicators need ${ind.ready} days of warm-up, then at least one full week`,
    );
  }

  const c: BacktestCounters = {
    putsSold: 0,
    callsSold: 0,
    putsAssigned: 0,
    callsAssigned: 0,
    expiredWorthless: 0,
    profitTakes: 0,
    rolls: 0,
    stops: 0,
    skippedVix: 0,
    skippedSize: 0,
    premiumCollected: 0,
    commissions: 0,
    slippage: 0,
  };
  const trades: TradeRecord[] = [];
  const weeks: WeekRecord[] = [];
  const equity: number[] = [];
  let cash = market.initialCapital;
  let shares = 0;
  let costBasis = 0;
  let opt: OptionPosition | null = null;

  const volAt = (i: number) => Math.max(market.volFloor, ind.vol[i] as number);
  const inputs = (i: number, o: { strike: number; expiryDay: number }) => ({
    spot: (bars[i] as Bar).close,
    strike: o.strike,
    years: Math.max(0, o.expiryDay - (bars[i] as Bar).day) / 365,
    rate: market.riskFreeRate,
    vol: volAt(i),
  });

  const buyBack = (i: number, o: OptionPosition, price: number, reason: TradeRecord['reason']) => {
    const gross = price * 100 * o.contracts;
    const slip = gross * p.slippagePct;
    const comm = p.commissionPerContract * o.contracts;
    cash -= gross + slip + comm;
    c.commissions += comm;
    c.slippage += slip;
    trades.push({
      date: (bars[i] as Bar).date,
      action: 'buyback',
      reason,
      right: o.right,
      strike: o.strike,
      contracts: o.contracts,
      price,
      cash: -(gross + slip + comm),
      commission: comm,
      slippage: slip,
    });
  };

  /** Sells an option at the target delta; returns null when no trade is worth making. */
  const sell = (
    i: number,
    right: OptionRight,
    contractsFor: (strike: number) => number,
    reason: TradeRecord['reason'],
    after: number,
    rolls: number,
  ): OptionPosition | null => {
    const b = bars[i] as Bar;
    const expiryDay = expiryFriday(b.day, p.minDte, after);
    const years = (expiryDay - b.day) / 365;
    const vol = volAt(i);
    const delta = targetDelta(
      p,
      right,
      regimeOf(b.close, ind.sma20[i] as number, ind.sma50[i] as number),
      vix[i] as number,
    );
    const base = strikeForDelta(right, delta, { spot: b.close, years, rate: market.riskFreeRate, vol });
    const atr = ind.atr14[i] as number;
    const widen = atrWidening(p, (b.close - (bars[i - 5] as Bar).close) / atr) * atr;
    let strike = right === 'put' ? Math.max(base - widen, 0.01 * b.close) : base + widen;
    if (right === 'call' && p.callStrikeFloorAtCost === 1) strike = Math.max(strike, costBasis);
    const contracts = contractsFor(strike);
    if (contracts <= 0) {
      c.skippedSize++;
      return null;
    }
    const premium = bsPrice(right, { spot: b.close, strike, years, rate: market.riskFreeRate, vol });
    const gross = premium * 100 * contracts;
    const slip = gross * p.slippagePct;
    const comm = p.commissionPerContract * contracts;
    if (gross - slip - comm <= 0) return null;
    cash += gross - slip - comm;
    c.commissions += comm;
    c.slippage += slip;
    c.premiumCollected += gross;
    if (right === 'put') c.putsSold++;
    else c.callsSold++;
    trades.push({
      date: b.date,
      action: 'sell',
      reason,
      right,
      strike,
      contracts,
      price: premium,
      cash: gross - slip - comm,
      commission: comm,
      slippage: slip,
    });
    return { right, strike, expiryDay, contracts, premium, rolls };
  };

  const mark = (i: number) => {
    const s = (bars[i] as Bar).close;
    const ov = opt ? bsPrice(opt.right, inputs(i, opt)) * 100 * opt.contracts : 0;
    return cash + shares * s - ov;
  };

  // Week state.
  let weekKey = mondayOf((bars[start] as Bar).day);
  let weekEquity = market.initialCapital;
  let weekClose = (bars[start - 1] as Bar).close;
  let startedWithShares = false;
  let putSeen = false;
  let assigned = false;
  let calledAway = false;
  let putRolled = false;
  let callRolled = false;
  let stopped = false;
  let enteredThisWeek = false;

  const closeWeek = (i: number) => {
    const b = bars[i] as Bar;
    const eq = equity[equity.length - 1] as number;
    const side: WeekFacts['side'] = startedWithShares ? 'call' : putSeen ? 'put' : 'idle';
    const facts: WeekFacts = {
      side,
      move: b.close / weekClose - 1,
      assigned: side === 'call' ? calledAway : side === 'put' ? assigned : false,
      rolled: side === 'call' ? callRolled : side === 'put' ? putRolled : false,
      stopped: side === 'put' && stopped,
      underwater: side === 'call' && shares > 0 && b.close < costBasis,
    };
    weeks.push({
      ...facts,
      week: dayToIso(weekKey),
      lastDate: b.date,
      equityStart: weekEquity,
      equityEnd: eq,
      return: eq / weekEquity - 1,
      moveBucket: moveBucket(facts.move),
      weekType: classifyWeek(facts),
    });
    weekEquity = eq;
    weekClose = b.close;
  };

  for (let i = start; i < n; i++) {
    const b = bars[i] as Bar;
    const wk = mondayOf(b.day);
    if (wk !== weekKey) {
      closeWeek(i - 1);
      weekKey = wk;
      startedWithShares = shares > 0;
      putSeen = false;
      assigned = false;
      calledAway = false;
      putRolled = false;
      callRolled = false;
      stopped = false;
      enteredThisWeek = false;
    }
    if (opt?.right === 'put') putSeen = true;

    if (opt) {
      const o: OptionPosition = opt;
      const next = bars[i + 1];
      const expires = b.day >= o.expiryDay || (next !== undefined && next.day > o.expiryDay);
      if (expires) {
        if (o.right === 'put' && b.close < o.strike) {
          const pay = o.strike * 100 * o.contracts;
          cash -= pay;
          shares += 100 * o.contracts;
          costBasis = o.strike;
          assigned = true;
          c.putsAssigned++;
          trades.push({
            date: b.date,
            action: 'assign',
            reason: 'expiry',
            right: 'put',
            strike: o.strike,
            contracts: o.contracts,
            price: 0,
            cash: -pay,
            commission: 0,
            slippage: 0,
          });
        } else if (o.right === 'call' && b.close > o.strike) {
          const get = o.strike * 100 * o.contracts;
          cash += get;
          shares -= 100 * o.contracts;
          calledAway = true;
          c.callsAssigned++;
          trades.push({
            date: b.date,
            action: 'call-away',
            reason: 'expiry',
            right: 'call',
            strike: o.strike,
            contracts: o.contracts,
            price: 0,
            cash: get,
            commission: 0,
            slippage: 0,
          });
        } else {
          c.expiredWorthless++;
          trades.push({
            date: b.date,
            action: 'expire',
            reason: 'expiry',
            right: o.right,
            strike: o.strike,
            contracts: o.contracts,
            price: 0,
            cash: 0,
            commission: 0,
            slippage: 0,
          });
        }
        opt = null;
      } else {
        const inp = inputs(i, o);
        const value = bsPrice(o.right, inp);
        const delta = Math.abs(bsDelta(o.right, inp));
        const dte = o.expiryDay - b.day;
        if (value <= (1 - p.profitTakePct) * o.premium) {
          buyBack(i, o, value, 'profit-take');
          c.profitTakes++;
          opt = null;
        } else if (o.right === 'put' && p.stopLossPct > 0 && value >= (1 + p.stopLossPct) * o.premium) {
          buyBack(i, o, value, 'stop');
          c.stops++;
          stopped = true;
          opt = null;
        } else if (
          dte <= p.rollDte &&
          o.rolls < p.maxRolls &&
          (delta >= p.rollDelta || value >= (1 + p.rollLossPct) * o.premium)
        ) {
          buyBack(i, o, value, 'roll');
          c.rolls++;
          if (o.right === 'put') putRolled = true;
          else callRolled = true;
          opt = sell(i, o.right, () => o.contracts, 'roll', o.expiryDay, o.rolls + 1);
        }
      }
    }

    const isEntryDay = weekdayOf(b.day) >= p.entryWeekday && !enteredThisWeek && i < n - 1;
    if (isEntryDay) {
      enteredThisWeek = true;
      if (!opt) {
        if (shares > 0) {
          const held = shares;
          opt = sell(i, 'call', () => Math.floor(held / 100), 'entry', b.day, 0);
        } else if ((vix[i] as number) > p.vixMaxEntry) {
          c.skippedVix++;
        } else {
          const budget = cash * (1 - p.cashBufferPct);
          opt = sell(i, 'put', (k) => Math.floor(budget / (100 * k)), 'entry', b.day, 0);
        }
      }
    }
    if (opt?.right === 'put') putSeen = true;
    equity.push(mark(i));
  }
  closeWeek(n - 1);

  return {
    startIndex: start,
    startDate: (bars[start] as Bar).date,
    endDate: (bars[n - 1] as Bar).date,
    initialCapital: market.initialCapital,
    finalEquity: equity[equity.length - 1] as number,
    equity,
    weeks,
    trades,
    counters: c,
    openOption: opt,
    shares,
  };
}

/** Weekly returns and daily equity of buying the symbol at the close before `startIndex` and holding it (no costs). */
export function buyAndHold(
  bars: readonly Bar[],
  startIndex: number,
  capital = DEFAULT_MARKET.initialCapital,
): { weeklyReturns: number[]; equity: number[] } {
  if (!(startIndex >= 1 && startIndex < bars.length))
    throw new RangeError(`buyAndHold: startIndex must be in [1, ${bars.length - 1}], got ${startIndex}`);
  const base = (bars[startIndex - 1] as Bar).close;
  const equity: number[] = [];
  const weeklyReturns: number[] = [];
  let prevWeekClose = base;
  for (let i = startIndex; i < bars.length; i++) {
    const b = bars[i] as Bar;
    equity.push((capital * b.close) / base);
    const next = bars[i + 1];
    if (next === undefined || mondayOf(next.day) !== mondayOf(b.day)) {
      weeklyReturns.push(b.close / prevWeekClose - 1);
      prevWeekClose = b.close;
    }
  }
  return { weeklyReturns, equity };
}
