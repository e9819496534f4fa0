/**
 * Registry of named detectors with default parameters, and the one place that turns JSON back into a
 * detector (composites restore their members through it).
 *
 * Why hand-written: no maintained JavaScript library offers causal, serialisable streaming detectors
 * with NAB scoring; the Python references (NAB, NuPIC, river) cannot run in a Lambda written in TypeScript.
 */
import { NullDetector, RandomDetector } from './baselines.ts';
import { ContextualDetector } from './contextual.ts';
import { EnsembleDetector } from './ensemble.ts';
import { SeasonalGateDetector } from './gate.ts';
import { KnnDetector } from './knn.ts';
import { LikelihoodDetector } from './likelihood.ts';
import {
  CusumDetector,
  EwmaDetector,
  HoltDetector,
  RobustDetector,
  SeasonalDetector,
} from './statistical.ts';
import type { AnomalyDetector, DetectorJSON } from './types.ts';
import { WindowedGaussianDetector } from './windowed-gaussian.ts';

/** A detector described as data: a kind, its parameters, and for composites what they wrap. */
export interface DetectorSpec {
  readonly kind: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** For 'likelihood' and 'seasonalGate': the model it wraps. */
  readonly inner?: DetectorSpec | string;
  /** For 'ensemble': its members. */
  readonly members?: readonly (DetectorSpec | string)[];
}

type Params = Record<string, never>;

const lik = (inner: string, params: Record<string, unknown> = {}): DetectorSpec => ({
  kind: 'likelihood',
  inner,
  params,
});

/**
 * Named presets. Raw models score single-point surprise; `*Lik` wraps one in the anomaly likelihood.
 * `seasonalGate` is the seasonal likelihood heard only on clearly seasonal series (autocorrelation >= 0.5
 * at the detected period), with its residual scale floored at 1 % of the series' spread.
 * `contextual` is a CAD-style pattern memory (see contextual.ts) with its own 30-point rest; `contextualLik`
 * wraps it, without the rest, in the likelihood (which starts learning when the memory starts scoring).
 * `ensemble`, the default, takes the largest of the robust-quantile and CUSUM likelihoods (isolated outliers
 * against slow shifts) and the gated seasonal one (pattern changes inside the usual range of periodic series),
 * then rests 30 points after an alert at 0.6 or above (tail probability ~1e-6) so that one event raises one
 * alert. `ensembleContextual` adds the likelihood of the contextual memory (unfamiliar sequences of levels in
 * any series): the most accurate on NAB, but about 5x slower (0.3 M points/s), so it is opt-in. `ensembleV1` is the earlier two-member maximum without rest, kept for comparison. `ensembleRaw` averages the robust and CUSUM
 * raw scores under one likelihood; `ensembleWide` averages five families' likelihoods.
 */
export const DETECTOR_PRESETS: Readonly<Record<string, DetectorSpec>> = {
  null: { kind: 'null' },
  random: { kind: 'random' },
  windowedGaussian: { kind: 'windowedGaussian' },
  robust: { kind: 'robust' },
  ewma: { kind: 'ewma' },
  cusum: { kind: 'cusum' },
  holt: { kind: 'holt' },
  seasonal: { kind: 'seasonal' },
  knn: { kind: 'knn' },
  contextual: { kind: 'contextual' },
  robustLik: lik('robust'),
  ewmaLik: lik('ewma'),
  cusumLik: lik('cusum'),
  holtLik: lik('holt'),
  seasonalLik: lik('seasonal'),
  knnLik: lik('knn'),
  contextualLik: {
    kind: 'likelihood',
    // The memory scores nothing until its range is known (rangePoints, 300): the likelihood starts learning
    // then, rather than fitting its first Gaussian to the warm-up's zeros.
    params: { learningPeriod: 300 },
    inner: { kind: 'contextual', params: { restPeriod: 0 } },
  },
  seasonalGate: {
    kind: 'seasonalGate',
    inner: {
      kind: 'likelihood',
      inner: { kind: 'seasonal', params: { minAcf: 0.5, relativeFloor: 0.01 } },
    },
  },
  ensemble: {
    kind: 'ensemble',
    params: { combine: 'max', restPeriod: 30, alertLevel: 0.6 },
    members: ['robustLik', 'cusumLik', 'seasonalGate'],
  },
  ensembleContextual: {
    kind: 'ensemble',
    params: { combine: 'max', restPeriod: 30, alertLevel: 0.6 },
    members: ['robustLik', 'cusumLik', 'seasonalGate', 'contextualLik'],
  },
  ensembleV1: {
    kind: 'ensemble',
    params: { combine: 'max' },
    members: ['robustLik', 'cusumLik'],
  },
  ensembleRaw: {
    kind: 'likelihood',
    inner: { kind: 'ensemble', params: { combine: 'mean' }, members: ['robust', 'cusum'] },
  },
  ensembleWide: {
    kind: 'ensemble',
    params: { combine: 'mean' },
    members: ['robustLik', 'cusumLik', 'seasonalLik', 'holtLik', 'knnLik'],
  },
};

/** Names of the presets, in registry order. */
export function detectorNames(): string[] {
  return Object.keys(DETECTOR_PRESETS);
}

/**
 * Builds a detector from a preset name or a spec.
 *
 * @example
 * const d = createDetector('ensemble');
 * const score = d.update(Date.parse('2024-01-01T00:00:00Z'), 42);
 */
export function createDetector(spec: DetectorSpec | string): AnomalyDetector {
  if (typeof spec === 'string') {
    const preset = DETECTOR_PRESETS[spec];
    if (!preset) throw new RangeError(`detector must be one of ${detectorNames().join(', ')}, got '${spec}'`);
    return createDetector(preset);
  }
  const params = (spec.params ?? {}) as Params;
  switch (spec.kind) {
    case 'null':
      return new NullDetector();
    case 'random':
      return new RandomDetector(params);
    case 'windowedGaussian':
      return new WindowedGaussianDetector(params);
    case 'robust':
      return new RobustDetector(params);
    case 'ewma':
      return new EwmaDetector(params);
    case 'cusum':
      return new CusumDetector(params);
    case 'holt':
      return new HoltDetector(params);
    case 'seasonal':
      return new SeasonalDetector(params);
    case 'knn':
      return new KnnDetector(params);
    case 'contextual':
      return new ContextualDetector(params);
    case 'likelihood':
      if (!spec.inner) throw new RangeError("inner must be given for kind 'likelihood'");
      return new LikelihoodDetector(createDetector(spec.inner), params);
    case 'seasonalGate':
      if (!spec.inner) throw new RangeError("inner must be given for kind 'seasonalGate'");
      return new SeasonalGateDetector(createDetector(spec.inner));
    case 'ensemble':
      if (!spec.members || spec.members.length === 0)
        throw new RangeError("members must be a non-empty list for kind 'ensemble'");
      return new EnsembleDetector(spec.members.map(createDetector), params);
    default:
      throw new RangeError(`kind must be a registered detector kind, got '${spec.kind}'`);
  }
}

/**
 * Rebuilds a detector from its `toJSON()` output, exactly: the restored detector continues with the same
 * scores the original would have produced.
 *
 * @example
 * const copy = restoreDetector(JSON.parse(JSON.stringify(detector.toJSON())));
 */
export function restoreDetector(json: DetectorJSON): AnomalyDetector {
  if (json === null || typeof json !== 'object' || typeof json.kind !== 'string') {
    throw new TypeError('json must be an object with a string kind, as produced by toJSON()');
  }
  switch (json.kind) {
    case 'null':
      return NullDetector.fromJSON(json);
    case 'random':
      return RandomDetector.fromJSON(json);
    case 'windowedGaussian':
      return WindowedGaussianDetector.fromJSON(json);
    case 'robust':
      return RobustDetector.fromJSON(json);
    case 'ewma':
      return EwmaDetector.fromJSON(json);
    case 'cusum':
      return CusumDetector.fromJSON(json);
    case 'holt':
      return HoltDetector.fromJSON(json);
    case 'seasonal':
      return SeasonalDetector.fromJSON(json);
    case 'knn':
      return KnnDetector.fromJSON(json);
    case 'contextual':
      return ContextualDetector.fromJSON(json);
    case 'likelihood':
      return LikelihoodDetector.fromJSON(json, restoreDetector);
    case 'seasonalGate':
      return SeasonalGateDetector.fromJSON(json, restoreDetector);
    case 'ensemble':
      return EnsembleDetector.fromJSON(json, restoreDetector);
    default:
      throw new RangeError(`kind must be a registered detector kind, got '${json.kind}'`);
  }
}
