/**
 * Bayesian online change-point detection (Adams & MacKay 2007, arXiv:0710.3742) for a Gaussian with
 * unknown mean and variance (Normal-Gamma conjugate prior, Student-t predictive), so both mean shifts
 * and variance shifts move the run-length posterior.
 *
 * Memory is bounded: the run-length distribution is truncated at `maxRunLength`; the mass that would grow
 * past it stays in the last slot, which keeps the statistics of the longest run (an "at least R" bucket).
 * The prior is set from the first `warmup` points (their mean, and their variance as the expected noise
 * variance), which are then replayed, so the detector needs no knowledge of the metric's scale.
 *
 * Two departures from the textbook model keep single outliers from being reported as changes: every
 * established run's predictive is mixed with a small outlier component (the prior predictive, weight
 * `outlierProbability`) and a point updates each run in proportion to its probability of not being an
 * outlier there, and a change is reported only once the most probable run length has pointed at
 * the same start for `confirm` consecutive points. The state is plain arrays and numbers: `toJSON` / `fromJSON` carry it between invocations.
 */
import { logGamma } from '../stats/distributions.ts';

/** Parameters of {@link BayesianOnlineChangePoint}. */
export interface BocpdParams {
  /** Expected run length between changes (hazard = 1 / this). @default 1000 */
  readonly expectedRunLength: number;
  /** Truncation of the run-length distribution (memory and time per point). @default 300 */
  readonly maxRunLength: number;
  /** Points used to set the prior before detecting. @default 20 */
  readonly warmup: number;
  /** Consecutive confirmations before a change is reported (the detection delay is at least this). @default 5 */
  readonly confirm: number;
  /** Prior pseudo-count of the mean (κ0) and shape (α0) of the Normal-Gamma prior. @default 1 and 1 */
  readonly kappa0: number;
  readonly alpha0: number;
  /**
   * Weight ε of an outlier component in every established run's predictive, (1 − ε)·t_run + ε·t_prior;
   * a point then updates a run in proportion to the probability that it is not an outlier there. Without
   * it a single far outlier is better explained by "a new run began here" than by any old run and inflates
   * the old run's variance, and is reported as a change; 0 gives the textbook model. @default 0.01
   */
  readonly outlierProbability: number;
}

export const BOCPD_DEFAULTS: BocpdParams = {
  expectedRunLength: 1000,
  maxRunLength: 300,
  warmup: 20,
  confirm: 5,
  kappa0: 1,
  alpha0: 1,
  outlierProbability: 0.01,
};

/** What {@link BayesianOnlineChangePoint.update} reports for each point. */
export interface BocpdUpdate {
  /** 0-based index of this point in the stream. */
  readonly index: number;
  /** Most probable run length after this point (points since the current segment began, minus one). */
  readonly runLength: number;
  /** Posterior probability that a segment began within the last `confirm` points. */
  readonly recentChangeProbability: number;
  /** Index of the first point of a newly confirmed segment, when this update confirms one. */
  readonly changePoint?: number;
}

/** Serialisable state. */
export interface BocpdState {
  readonly t: number;
  readonly warm: number[];
  readonly prior: [number, number, number, number] | null;
  readonly prob: number[];
  readonly mu: number[];
  readonly kappa: number[];
  readonly alpha: number[];
  readonly beta: number[];
  readonly candidate: number;
  readonly streak: number;
  readonly lastChange: number;
}

export interface BocpdJSON {
  readonly kind: 'bocpd';
  readonly params: BocpdParams;
  readonly state: BocpdState;
}

function checkParams(p: BocpdParams): void {
  const positiveInt = (name: keyof BocpdParams, min: number): void => {
    const v = p[name];
    if (!Number.isInteger(v) || v < min)
      throw new RangeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  };
  if (!(p.expectedRunLength > 1) || !Number.isFinite(p.expectedRunLength))
    throw new RangeError(`expectedRunLength must be a finite number > 1, got ${String(p.expectedRunLength)}`);
  positiveInt('maxRunLength', 10);
  positiveInt('warmup', 2);
  positiveInt('confirm', 1);
  if (!(p.outlierProbability >= 0 && p.outlierProbability < 1))
    throw new RangeError(`outlierProbability must be in [0, 1), got ${String(p.outlierProbability)}`);
  for (const k of ['kappa0', 'alpha0'] as const) {
    if (!(p[k] > 0) || !Number.isFinite(p[k]))
      throw new RangeError(`${k} must be a finite number > 0, got ${String(p[k])}`);
  }
}

/**
 * A causal change-point detector with bounded memory and serialisable state.
 *
 * @example
 * const d = new BayesianOnlineChangePoint();
 * for (const v of stream) {
 *   const u = d.update(v);
 *   if (u.changePoint !== undefined) console.log(`new regime since point ${u.changePoint}`);
 * }
 */
export class BayesianOnlineChangePoint {
  readonly params: BocpdParams;
  private s: {
    t: number;
    warm: number[];
    prior: [number, number, number, number] | null;
    prob: number[];
    mu: number[];
    kappa: number[];
    alpha: number[];
    beta: number[];
    candidate: number;
    streak: number;
    lastChange: number;
  };

  constructor(params: Partial<BocpdParams> = {}) {
    this.params = { ...BOCPD_DEFAULTS, ...params };
    checkParams(this.params);
    this.s = {
      t: 0,
      warm: [],
      prior: null,
      prob: [],
      mu: [],
      kappa: [],
      alpha: [],
      beta: [],
      candidate: -1,
      streak: 0,
      lastChange: 0,
    };
  }

  /** Feeds the next observation. Non-finite values are refused: they carry no evidence and would poison the posterior. */
  update(value: number): BocpdUpdate {
    if (!Number.isFinite(value)) throw new RangeError(`value must be a finite number, got ${value}`);
    const s = this.s;
    const index = s.t;
    s.t += 1;
    if (s.prior === null) {
      s.warm.push(value);
      if (s.warm.length < this.params.warmup) return { index, runLength: index, recentChangeProbability: 0 };
      this.initialise();
      let found: number | undefined;
      for (let i = 0; i < s.warm.length; i++) {
        const u = this.step(s.warm[i] as number, i);
        if (u.changePoint !== undefined) found = u.changePoint;
      }
      const last = this.step(Number.NaN, index, true);
      s.warm = [];
      return found === undefined || last.changePoint !== undefined ? last : { ...last, changePoint: found };
    }
    return this.step(value, index);
  }

  /** Posterior over run lengths (index = run length; the last slot holds "this long or longer"). */
  runLengthDistribution(): number[] {
    return this.s.prob.slice();
  }

  toJSON(): BocpdJSON {
    return { kind: 'bocpd', params: { ...this.params }, state: structuredClone(this.s) };
  }

  /** Restores a detector from {@link BayesianOnlineChangePoint.toJSON}, checking the state's shape. */
  static fromJSON(json: BocpdJSON): BayesianOnlineChangePoint {
    if (json?.kind !== 'bocpd') throw new TypeError("kind must be 'bocpd'");
    const d = new BayesianOnlineChangePoint(json.params);
    const st = json.state;
    const arrays = ['prob', 'mu', 'kappa', 'alpha', 'beta'] as const;
    for (const k of arrays) {
      if (!Array.isArray(st?.[k]) || !st[k].every((v) => Number.isFinite(v)))
        throw new TypeError(`state.${k} must be an array of finite numbers`);
      if (st[k].length !== st.prob.length)
        throw new TypeError(`state.${k} must have as many entries as state.prob`);
    }
    if (st.prob.length > d.params.maxRunLength + 1)
      throw new TypeError(
        `state.prob must hold at most maxRunLength + 1 = ${d.params.maxRunLength + 1} entries`,
      );
    if (!Number.isInteger(st.t) || st.t < 0) throw new TypeError('state.t must be an integer >= 0');
    d.s = structuredClone(st) as typeof d.s;
    return d;
  }

  private initialise(): void {
    const s = this.s;
    const w = s.warm;
    let m = 0;
    for (const v of w) m += v;
    m /= w.length;
    let v2 = 0;
    for (const v of w) v2 += (v - m) ** 2;
    v2 /= w.length - 1;
    // A flat warm-up would give a zero-width prior; fall back to a scale relative to the level.
    if (!(v2 > 0)) v2 = 1e-6 * Math.max(1, m * m);
    const { kappa0, alpha0 } = this.params;
    // E[precision] = α/β = 1/v2.
    s.prior = [m, kappa0, alpha0, alpha0 * v2];
    s.prob = [1];
    s.mu = [m];
    s.kappa = [kappa0];
    s.alpha = [alpha0];
    s.beta = [alpha0 * v2];
  }

  /** One recursion of the run-length posterior. With `reportOnly`, returns the current summary without data. */
  private step(x: number, index: number, reportOnly = false): BocpdUpdate {
    const s = this.s;
    const p = this.params;
    if (!reportOnly) {
      const h = 1 / p.expectedRunLength;
      const L = s.prob.length;
      const pred = new Array<number>(L);
      let maxLog = Number.NEGATIVE_INFINITY;
      for (let r = 0; r < L; r++) {
        const a = s.alpha[r] as number;
        const k = s.kappa[r] as number;
        const nu = 2 * a;
        const scale2 = ((s.beta[r] as number) * (k + 1)) / (a * k);
        const z = (x - (s.mu[r] as number)) ** 2 / (nu * scale2);
        const lp =
          logGamma((nu + 1) / 2) -
          logGamma(nu / 2) -
          0.5 * Math.log(nu * Math.PI * scale2) -
          ((nu + 1) / 2) * Math.log1p(z);
        pred[r] = lp;
      }
      const eps = p.outlierProbability;
      const lpPrior = pred[0] as number; // slot 0 always holds the prior's parameters
      // weight[r]: posterior probability that x is not an outlier under run r; it weighs x in the update,
      // so an outlier neither ends a run nor inflates its variance.
      const weight = new Array<number>(L).fill(1);
      for (let r = 1; r < L && eps > 0; r++) {
        const a = Math.log1p(-eps) + (pred[r] as number);
        const b = Math.log(eps) + lpPrior;
        const hi = Math.max(a, b);
        const lse = hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
        pred[r] = lse;
        weight[r] = Math.exp(a - lse);
      }
      for (const lp of pred) if (lp > maxLog) maxLog = lp;
      // Scale predictive densities by the largest: the posterior is normalised anyway, and this avoids underflow.
      const next = new Array<number>(L + 1).fill(0);
      let cp = 0;
      for (let r = 0; r < L; r++) {
        const w = (s.prob[r] as number) * Math.exp((pred[r] as number) - maxLog);
        cp += w * h;
        next[r + 1] = w * (1 - h);
      }
      next[0] = cp;
      const [m0, k0, a0, b0] = s.prior as [number, number, number, number];
      const mu = [m0];
      const kappa = [k0];
      const alpha = [a0];
      const beta = [b0];
      for (let r = 0; r < L; r++) {
        // Normal-Gamma update with a fractional observation of weight w (w = 1: the conjugate update).
        const w = weight[r] as number;
        const k = s.kappa[r] as number;
        const m = s.mu[r] as number;
        mu.push((k * m + w * x) / (k + w));
        kappa.push(k + w);
        alpha.push((s.alpha[r] as number) + w / 2);
        beta.push((s.beta[r] as number) + (k * w * (x - m) ** 2) / (2 * (k + w)));
      }
      if (next.length > p.maxRunLength + 1) {
        // Fold the longest run into the "at least R" slot, keeping the longest run's statistics.
        const lastP = next.pop() as number;
        next[next.length - 1] = (next[next.length - 1] as number) + lastP;
        for (const arr of [mu, kappa, alpha, beta]) {
          const v = arr.pop() as number;
          arr[arr.length - 1] = v;
        }
      }
      let total = 0;
      for (const v of next) total += v;
      // All hypotheses impossible (a value astronomically far from every run): restart from the prior.
      s.prob =
        total > 0 && Number.isFinite(total)
          ? next.map((v) => v / total)
          : [1, ...new Array<number>(next.length - 1).fill(0)];
      s.mu = mu;
      s.kappa = kappa;
      s.alpha = alpha;
      s.beta = beta;
    }
    let map = 0;
    for (let r = 1; r < s.prob.length; r++) if ((s.prob[r] as number) > (s.prob[map] as number)) map = r;
    let recent = 0;
    for (let r = 0; r < Math.min(p.confirm, s.prob.length); r++) recent += s.prob[r] as number;
    if (reportOnly) return { index, runLength: map, recentChangeProbability: recent };
    // Run length r counts the points of the current run, so it began at index − r + 1 (r = 0: a run starts
    // with the next point). The truncated slot says nothing about where its run began.
    const start = map >= p.maxRunLength ? -1 : index - map + 1;
    let changePoint: number | undefined;
    // Starts within `confirm` points of the last reported change are the same change, re-estimated.
    if (start > s.lastChange + (s.lastChange > 0 ? p.confirm : 0) && start <= index) {
      if (start === s.candidate) s.streak += 1;
      else {
        s.candidate = start;
        s.streak = 1;
      }
      if (s.streak >= p.confirm) {
        changePoint = start;
        s.lastChange = start;
        s.candidate = -1;
        s.streak = 0;
      }
    } else {
      s.candidate = -1;
      s.streak = 0;
    }
    return changePoint === undefined
      ? { index, runLength: map, recentChangeProbability: recent }
      : { index, runLength: map, recentChangeProbability: recent, changePoint };
  }
}
