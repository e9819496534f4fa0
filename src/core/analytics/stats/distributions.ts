/**
 * Distribution functions the trend tests and change-point penalties need: log-gamma, the regularised
 * incomplete beta, Student t (CDF and quantile) and the standard normal (CDF and quantile).
 *
 * Written here rather than imported because no maintained, dependency-free ESM package offers a t quantile
 * with a stated accuracy (jStat is unmaintained and CommonJS; simple-statistics has no t quantile), and the
 * domain core takes no npm dependencies. The normal tail reuses the anomaly module's erfc (about 1e-15).
 */
import { erfc } from '../anomaly/math.ts';
import { normalQuantile as acklam } from '../forecast/stats.ts';

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * Natural log of the gamma function for x > 0 (Lanczos, g = 7: about 1e-15 relative).
 *
 * @example logGamma(5); // ln(24) = 3.1780538303479458
 */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`x must be > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta (modified Lentz, Numerical Recipes' betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/**
 * Regularised incomplete beta I_x(a, b) for a, b > 0 and x in [0, 1] (about 1e-14 absolute).
 *
 * @example incompleteBeta(0.5, 2, 2); // 0.5
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`a and b must be > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // The continued fraction converges fast only on one side of the mean; use the symmetry elsewhere.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

function checkDf(df: number): void {
  if (!(df > 0) || Number.isNaN(df)) throw new RangeError(`df must be a number > 0, got ${df}`);
}

/**
 * P(T ≤ t) for Student's t with `df` degrees of freedom (df may be fractional; Infinity gives the normal).
 *
 * @example studentTCdf(2.228138851986274, 10); // 0.975
 */
export function studentTCdf(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return normalCdf(t);
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/**
 * Two-sided tail P(|T| ≥ |t|), computed without the cancellation of 1 - cdf for large |t|.
 *
 * @example studentTTwoSided(2.228138851986274, 10); // 0.05
 */
export function studentTTwoSided(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return erfc(Math.abs(t) / Math.SQRT2);
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/**
 * Quantile of Student's t: the t with P(T ≤ t) = p. Newton steps on {@link studentTCdf} from the normal
 * quantile, safeguarded by bisection, to 1e-12 relative (the brief asks 1e-6).
 *
 * @example studentTQuantile(0.975, 10); // 2.228138851986274
 */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  if (df === Number.POSITIVE_INFINITY) return normalQuantile(p);
  if (p === 0.5) return 0;
  // Solve on the upper half and mirror: the tail there is computed directly, without cancellation.
  const upper = p > 0.5;
  const tailP = upper ? 1 - p : p; // target one-sided tail, in (0, 0.5)
  // Closed forms for df 1 and 2 are exact; they also seed nothing else.
  let t: number;
  if (df === 1) t = Math.tan(Math.PI * (0.5 - tailP));
  else if (df === 2) t = Math.sqrt(2 / (4 * tailP * (1 - tailP)) - 2);
  else {
    const tailOf = (x: number): number => 0.5 * incompleteBeta(df / (df + x * x), df / 2, 0.5);
    let lo = 0;
    let hi = Math.max(1, -normalQuantile(tailP));
    while (tailOf(hi) > tailP) {
      lo = hi;
      hi *= 2;
      if (hi > 1e300) break;
    }
    t = Math.min(Math.max(-normalQuantile(tailP), lo), hi);
    const lnC = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
    for (let i = 0; i < 200; i++) {
      const f = tailOf(t) - tailP; // decreasing in t
      if (f > 0) lo = t;
      else hi = t;
      const density = Math.exp(lnC - ((df + 1) / 2) * Math.log1p((t * t) / df));
      let next = t + f / density;
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (Math.abs(next - t) <= 1e-14 * Math.max(1, Math.abs(t))) {
        t = next;
        break;
      }
      t = next;
    }
  }
  return upper ? t : -t;
}

/**
 * Standard normal CDF Φ(z) from erfc (about 1e-15 relative in both tails).
 *
 * @example normalCdf(1.959963984540054); // 0.975
 */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/**
 * Standard normal quantile: Acklam's approximation refined by one Halley step on erfc (about 1e-15).
 *
 * @example normalQuantile(0.975); // 1.959963984540054
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  const x = acklam(p);
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * Regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a): the series of P below x = a + 1, Lentz's
 * continued fraction above (both to about 1e-15).
 */
function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < 1e-16 * Math.abs(sum)) break;
    }
    return Math.max(0, 1 - sum * Math.exp(logPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logPrefix) * h;
}

/**
 * P(X ≥ x) for X χ²-distributed with `df` degrees of freedom: the p-value of a likelihood-ratio statistic.
 *
 * @example chiSquareSurvival(3.841458820694124, 1); // 0.05
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df must be > 0, got ${df}`);
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  // Exact closed forms for the two cases the VaR backtests use.
  if (df === 1) return erfc(Math.sqrt(x / 2));
  if (df === 2) return Math.exp(-x / 2);
  return upperGamma(df / 2, x / 2);
}
