/**
 * Ensemble of online detectors: every member sees every point and the scores are combined.
 * 'mean' rewards agreement between families (a point several models find odd), 'max' takes the most
 * alarmed member; combining calibrated scores (likelihoods) rather than raw ones keeps members comparable.
 */
import type { AnomalyDetector, DetectorJSON } from './types.ts';
import { checkPoint } from './types.ts';

/** Parameters of {@link EnsembleDetector}. */
export interface EnsembleParams {
  /** @default 'mean' */
  readonly combine: 'mean' | 'max';
  /**
   * Per-point decay of each member's held score: a member's vote is max(score, decay · previous vote), so
   * members that alert a few points apart still reinforce each other. 0 = no memory. @default 0
   */
  readonly decay: number;
}

/** Combines the scores of several detectors. */
export class EnsembleDetector implements AnomalyDetector {
  readonly kind = 'ensemble';
  readonly params: EnsembleParams;
  readonly members: readonly AnomalyDetector[];

  constructor(members: readonly AnomalyDetector[], params: Partial<EnsembleParams> = {}) {
    if (members.length === 0) throw new RangeError('members must hold at least one detector');
    const p = { combine: 'mean' as const, decay: 0, ...params };
    if (p.combine !== 'mean' && p.combine !== 'max')
      throw new RangeError(`combine must be 'mean' or 'max', got ${String(p.combine)}`);
    if (!(typeof p.decay === 'number' && p.decay >= 0 && p.decay < 1))
      throw new RangeError(`decay must be a number in [0, 1), got ${String(p.decay)}`);
    // A fixed-shape literal rather than the spread: spread copies change hidden class after a few detectors.
    this.params = { combine: p.combine, decay: p.decay };
    this.members = members;
    this.held = new Float64Array(members.length);
  }

  private held: Float64Array;

  update(time: number, value: number): number {
    checkPoint(time, value);
    let sum = 0;
    let max = 0;
    const decay = this.params.decay;
    for (let i = 0; i < this.members.length; i++) {
      const fresh = (this.members[i] as AnomalyDetector).update(time, value);
      const kept = decay * (this.held[i] as number);
      const v = Math.max(fresh, kept);
      this.held[i] = v;
      sum += v;
      if (v > max) max = v;
    }
    return this.params.combine === 'max' ? max : sum / this.members.length;
  }

  toJSON(): DetectorJSON {
    return {
      kind: this.kind,
      params: { ...this.params },
      state: { members: this.members.map((m) => m.toJSON()), held: Array.from(this.held) },
    };
  }

  /** Restores an ensemble; `restoreMember` rebuilds each member (the registry passes its own). */
  static fromJSON(json: DetectorJSON, restoreMember: (j: DetectorJSON) => AnomalyDetector): EnsembleDetector {
    const state = json.state as { members: DetectorJSON[]; held: number[] };
    const d = new EnsembleDetector(state.members.map(restoreMember), json.params as Partial<EnsembleParams>);
    d.held = Float64Array.from(state.held);
    return d;
  }
}
