/**
 * Black-Scholes-Merton pricing for European options on a stock with a continuous dividend yield, plus the
 * inverse problem the wheel needs: the strike whose delta equals a target.
 *
 * Written here rather than imported: the JS option-pricing packages on npm are small, unmaintained and
 * either lack the delta-to-strike inversion or use the 1e-7 Abramowitz-Stegun normal CDF, which is not
 * accurate enough to round-trip strike → delta → strike. Weekly equity options are American; for puts
 * and calls held a few days on non-dividend stocks the early-exercise premium is small, so a European
 * price is the usual model here (stated in the backtester's caveats).
 */

import { normalQuantile } from '../analytics/stats/index.ts';
import type { OptionRight } from '../events/constants.ts';

/** Inputs shared by the pricing functions. Times in years, rates and volatility as annual fractions. */
export interface BsInputs {
  readonly spot: number;
  readonly strike: number;
  /** Time to expiry in years (calendar days / 365). 0 means at expiry: the intrinsic value. */
  readonly years: number;
  /** Continuously compounded risk-free rate. */
  readonly rate: number;
  /** Annualised volatility (0.2 = 20 %). */
  readonly vol: number;
  /** Continuous dividend yield. @default 0 */
  readonly dividendYield?: number;
}

/**
 * Standard normal CDF, W. J. Cody / Hart double-precision rational approximation as given by
 * G. West, "Better approximations to cumulative normal functions" (2005): absolute error below 1e-14.
 */
export function normCdf(x: number): number {
  const a = Math.abs(x);
  let c: number;
  if (a > 37) {
    c = 0;
  } else {
    const e = Math.exp((-a * a) / 2);
    if (a < 7.07106781186547) {
      let b = 3.52624965998911e-2 * a + 0.700383064443688;
      b = b * a + 6.37396220353165;
      b = b * a + 33.912866078383;
      b = b * a + 112.079291497871;
      b = b * a + 221.213596169931;
      b = b * a + 220.206867912376;
      c = e * b;
      b = 8.83883476483184e-2 * a + 1.75566716318264;
      b = b * a + 16.064177579207;
      b = b * a + 86.7807322029461;
      b = b * a + 296.564248779674;
      b = b * a + 637.333633378831;
      b = b * a + 793.826512519948;
      b = b * a + 440.413735824752;
      c /= b;
    } else {
      let b = a + 0.65;
      b = a + 4 / b;
      b = a + 3 / b;
      b = a + 2 / b;
      b = a + 1 / b;
      c = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - c : c;
}

/** Standard normal density. */
export function normPdf(x: number): number {
  return Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
}

/**
 * Inverse standard normal CDF: Acklam's rational approximation refined by one Halley step on
 * {@link normCdf}, so it is accurate to about 1e-15 in p.
 *
 * @example
 * normInv(0.975); // ≈ 1.959964
 */
export function normInv(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normInv: p must be in (0, 1), got ${p}`);
  // One home for the normal quantile (Acklam plus a Halley refinement step): the analytics stats module.
  return normalQuantile(p);
}

function check(i: BsInputs): void {
  if (!(i.spot > 0) || !Number.isFinite(i.spot))
    throw new RangeError(`spot must be a positive number, got ${i.spot}`);
  if (!(i.strike > 0) || !Number.isFinite(i.strike))
    throw new RangeError(`strike must be a positive number, got ${i.strike}`);
  if (!(i.years >= 0) || !Number.isFinite(i.years))
    throw new RangeError(`years must be >= 0, got ${i.years}`);
  if (!(i.vol > 0) || !Number.isFinite(i.vol)) throw new RangeError(`vol must be > 0, got ${i.vol}`);
  if (!Number.isFinite(i.rate)) throw new RangeError(`rate must be finite, got ${i.rate}`);
}

function d1d2(i: BsInputs): [number, number] {
  const q = i.dividendYield ?? 0;
  const sd = i.vol * Math.sqrt(i.years);
  const d1 = (Math.log(i.spot / i.strike) + (i.rate - q + (i.vol * i.vol) / 2) * i.years) / sd;
  return [d1, d1 - sd];
}

/**
 * Black-Scholes-Merton price of a European put or call.
 *
 * @example
 * bsPrice('call', { spot: 42, strike: 40, years: 0.5, rate: 0.1, vol: 0.2 }); // ≈ 4.76 (Hull, Example 15.6)
 */
export function bsPrice(right: OptionRight, i: BsInputs): number {
  check(i);
  if (i.years === 0)
    return right === 'call' ? Math.max(0, i.spot - i.strike) : Math.max(0, i.strike - i.spot);
  const q = i.dividendYield ?? 0;
  const [d1, d2] = d1d2(i);
  const fs = i.spot * Math.exp(-q * i.years);
  const fk = i.strike * Math.exp(-i.rate * i.years);
  return right === 'call' ? fs * normCdf(d1) - fk * normCdf(d2) : fk * normCdf(-d2) - fs * normCdf(-d1);
}

/**
 * Black-Scholes-Merton delta: in (0, 1) for a call, in (-1, 0) for a put. At expiry it is the step of
 * the payoff (an at-the-money option counts as out of the money).
 *
 * @example
 * bsDelta('call', { spot: 49, strike: 50, years: 20 / 52, rate: 0.05, vol: 0.2 }); // ≈ 0.522 (Hull, Example 19.1)
 */
export function bsDelta(right: OptionRight, i: BsInputs): number {
  check(i);
  if (i.years === 0) {
    if (right === 'call') return i.spot > i.strike ? 1 : 0;
    return i.spot < i.strike ? -1 : 0;
  }
  const q = i.dividendYield ?? 0;
  const [d1] = d1d2(i);
  const disc = Math.exp(-q * i.years);
  return right === 'call' ? disc * normCdf(d1) : disc * (normCdf(d1) - 1);
}

/**
 * The strike whose Black-Scholes delta has absolute value `absDelta`, by inverting delta in closed form:
 * d1 = N⁻¹(|Δ|·e^{qT}) for a call, N⁻¹(1 − |Δ|·e^{qT}) for a put, then K = S·exp(−d1·σ√T + (r − q + σ²/2)T).
 *
 * @example
 * strikeForDelta('put', 0.3, { spot: 100, years: 7 / 365, rate: 0.02, vol: 0.3 }); // ≈ 98.2
 */
export function strikeForDelta(right: OptionRight, absDelta: number, i: Omit<BsInputs, 'strike'>): number {
  check({ ...i, strike: 1 });
  if (!(i.years > 0)) throw new RangeError(`strikeForDelta: years must be > 0, got ${i.years}`);
  const q = i.dividendYield ?? 0;
  const scaled = absDelta * Math.exp(q * i.years);
  if (!(absDelta > 0 && scaled < 1))
    throw new RangeError(`strikeForDelta: absDelta must be in (0, e^(-qT)), got ${absDelta}`);
  const d1 = normInv(right === 'call' ? scaled : 1 - scaled);
  const sd = i.vol * Math.sqrt(i.years);
  return i.spot * Math.exp(-d1 * sd + (i.rate - q + (i.vol * i.vol) / 2) * i.years);
}
