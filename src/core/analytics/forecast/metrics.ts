/** Accuracy measures of the M4 competition (Makridakis, Spiliotis & Assimakopoulos, IJF 2020). */

/** Symmetric MAPE in percent: mean of 200 |y - f| / (|y| + |f|). */
export function smape(actual: readonly number[], forecast: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const f = forecast[i] as number;
    s += (200 * Math.abs(a - f)) / (Math.abs(a) + Math.abs(f));
  }
  return s / actual.length;
}

/** MASE denominator: the in-sample mean absolute seasonal (lag m) difference, as M4's mase_cal. */
export function maseScale(insample: readonly number[], m: number): number {
  let s = 0;
  let c = 0;
  for (let t = m; t < insample.length; t++) {
    s += Math.abs((insample[t] as number) - (insample[t - m] as number));
    c++;
  }
  return s / c;
}

/** Mean absolute scaled error over the horizon. */
export function mase(
  insample: readonly number[],
  actual: readonly number[],
  forecast: readonly number[],
  m: number,
): number {
  const scale = maseScale(insample, m);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs((actual[i] as number) - (forecast[i] as number));
  return s / actual.length / scale;
}

/** Overall weighted average relative to Naive2 on dataset averages: (sMAPE/sMAPE_N2 + MASE/MASE_N2) / 2. */
export function owa(smapeValue: number, maseValue: number, naive2Smape: number, naive2Mase: number): number {
  return (smapeValue / naive2Smape + maseValue / naive2Mase) / 2;
}

/** Share of actual values inside [lower, upper]. */
export function coverage(
  actual: readonly number[],
  lower: readonly number[],
  upper: readonly number[],
): number {
  let c = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    if (a >= (lower[i] as number) && a <= (upper[i] as number)) c++;
  }
  return c / actual.length;
}
