/**
 * Contextual pattern-memory detector, after the Contextual Anomaly Detector (CAD OSE, Mikhail Smirnov,
 * 2016; https://github.com/smirmik/CAD, shipped with NAB as nab/detectors/context_ose, MIT licence). This
 * is an implementation of the algorithm written here from its description, not a port of that code.
 *
 * The idea: each value is quantised and encoded as a few "facts" (one per bit of its level, so nearby
 * levels share facts). A context is a pair (left facts, right facts): what was active at the previous step
 * and what arrived now. The detector remembers every context it has seen. At each step the contexts whose
 * left side is wholly present in the previous step's facts are the predictions; the share of them whose
 * right side is wholly present now is how well the past predicted the present. The contexts that fired
 * become "neuron" facts that join the next left side, so longer sequences are remembered as chains of
 * pairs. The anomaly score mixes the share of failed predictions with the share of genuinely new contexts
 * the step forced the memory to learn: (1 - predicted share + new share) / 2.
 *
 * Differences from the reference, on purpose: the value range comes from the first `rangePoints` values
 * (kept, then learnt from once the range is known), widened by a margin on each side, never from the whole
 * file (which NAB hands its detectors, and which places the file's anomalies at the edge of the range in
 * advance); values beyond it clip to the edge level, or optionally widen it. Ties between equally used
 * contexts go to the older one; the output rest after a score at or above `alertLevel` is a fixed number of
 * points, not a share of the file's length. Memory grows with the variety of patterns (tens of thousands
 * of contexts on a noisy series of a few thousand points), and so do the cost per point and the state.
 */
import { checkParam } from './math.ts';
import type { AnomalyDetector, DetectorJSON } from './types.ts';
import { checkPoint } from './types.ts';

/** Parameters of {@link ContextualDetector}. */
export interface ContextualParams {
  /** Bits of the quantised value, at most 8: 2^bits levels over the range. @default 3 */
  readonly bits: number;
  /** Largest partial left side from which a new context is formed. @default 7 */
  readonly maxLeft: number;
  /** Most contexts that fire carried forward as facts of the next left side, at most 32. @default 15 */
  readonly maxActive: number;
  /** Values collected (scored 0) before the range is fixed and learning starts. @default 300 */
  readonly rangePoints: number;
  /**
   * Margin added on each side of the range, as a fraction of its span: the first values rarely show the
   * series' whole range, and a level the normal data never reaches leaves room for the abnormal. @default 1
   */
  readonly rangeMargin: number;
  /** 'expand' widens the range (by the margin) when a value leaves it; 'fixed' clips to the edge level. @default 'fixed' */
  readonly rangeMode: 'expand' | 'fixed';
  /** Points after a score >= alertLevel during which the output is 0 (0 disables). @default 30 */
  readonly restPeriod: number;
  /** Raw score at or above which a rest period starts. @default 0.75 */
  readonly alertLevel: number;
}

export const CONTEXTUAL_DEFAULTS: ContextualParams = {
  bits: 3,
  maxLeft: 7,
  maxActive: 15,
  rangePoints: 300,
  rangeMargin: 1,
  rangeMode: 'fixed',
  restPeriod: 30,
  alertLevel: 0.75,
};

interface ContextualState {
  n: number;
  warm: number[];
  lo: number;
  hi: number;
  prevLeft: number[];
  sinceAlert: number;
  leftSemis: number[][];
  rightSemis: number[][];
  /** Per context: [left semi id, right semi id, times it fired, 1 if seen whole as a step pair]. */
  contexts: [number, number, number, number][];
}

const key = (facts: readonly number[]) => facts.join(',');

/** Span of a right-side position mask (a sensor has at most 8 facts). */
const RIGHT_SPAN = 256;

/** The entries of `facts` at the positions set in `mask` (bit i = position i), in order. */
function pick(facts: readonly number[], mask: number): number[] {
  const out: number[] = [];
  if (mask <= 0x7fffffff) {
    for (let i = 0; i < facts.length && i < 31; i++) if ((mask >>> i) & 1) out.push(facts[i] as number);
  } else {
    for (let i = 0; i < facts.length; i++)
      if (Math.floor(mask / 2 ** i) % 2 === 1) out.push(facts[i] as number);
  }
  return out;
}

/** Sum of 2^fact over sensor facts (all below 16): a numeric key for a set of them. */
function sensorMask(facts: readonly number[]): number {
  let m = 0;
  for (const f of facts) m |= 1 << f;
  return m;
}

/**
 * The `k` most used of `ids` (ties to the smaller id), most used first: a partial selection, since only a
 * few of the contexts that fire are carried forward.
 */
function topContexts(ids: readonly number[], counts: readonly number[], k: number): number[] {
  const top: number[] = [];
  const before = (a: number, b: number) => {
    const ca = counts[a] as number;
    const cb = counts[b] as number;
    return ca > cb || (ca === cb && a < b);
  };
  for (const c of ids) {
    if (top.length === k && !before(c, top[k - 1] as number)) continue;
    let at = top.length === k ? k - 1 : top.length;
    while (at > 0 && before(c, top[at - 1] as number)) {
      top[at] = top[at - 1] as number;
      at--;
    }
    top[at] = c;
  }
  return top;
}

/** Contextual anomaly detector (CAD-style pattern memory); scores in [0, 1]. */
export class ContextualDetector implements AnomalyDetector {
  readonly kind = 'contextual';
  readonly params: ContextualParams;
  /** First fact number of the neuron facts (context ids); the sensor facts are 0 .. 2·bits - 1. */
  private readonly neuronBase: number;

  private n = 0;
  private warm: number[] = [];
  private lo = 0;
  private hi = 0;
  private prevLeft: number[] = [];
  private sinceAlert = 0;

  private readonly leftSemis: number[][] = [];
  private readonly rightSemis: number[][] = [];
  private readonly leftIds = new Map<string, number>();
  private readonly rightIds = new Map<string, number>();
  /** Semi-contexts made of sensor facts only, by the mask of those facts (every right side is one). */
  private readonly leftBySensor = new Map<number, number>();
  private readonly rightBySensor = new Map<number, number>();
  /** Per left semi-context: right semi id -> context id, in creation order. */
  private readonly leftContexts: Map<number, number>[] = [];
  /** Per left semi-context: ids of its contexts seen whole as a step pair, ascending. */
  private readonly wholeOf: number[][] = [];
  /** fact -> ids of the semi-contexts holding it, in creation order. */
  private readonly leftIndex = new Map<number, number[]>();
  private readonly rightIndex = new Map<number, number[]>();
  /** Left semi-contexts holding neuron facts, listed under their last (largest) fact only. */
  private readonly leftByLast = new Map<number, number[]>();
  /** Membership marks by fact for the familiar-step search (a fact is present when marked with `stamp`). */
  private marks = new Int32Array(64);
  /** Position of each marked fact in the array that was marked. */
  private positions = new Int32Array(64);
  private stamp = 0;
  private ctxLeft: number[] = [];
  private ctxRight: number[] = [];
  private ctxCount: number[] = [];
  private ctxWhole: number[] = [];

  // Scratch, sized as the memory grows (never serialised).
  private leftOverlap = new Int32Array(64);
  private rightOverlap = new Int32Array(64);

  /**
   * @example
   * const d = new ContextualDetector({ bits: 3, restPeriod: 30 });
   * const score = d.update(Date.now(), 12.5);
   */
  constructor(params: Partial<ContextualParams> = {}) {
    const p = { ...CONTEXTUAL_DEFAULTS, ...params };
    checkParam('bits', p.bits, 'integer>=1');
    if (p.bits > 8) throw new RangeError(`bits must be an integer in [1, 8], got ${p.bits}`);
    checkParam('maxLeft', p.maxLeft, 'integer>=1');
    checkParam('maxActive', p.maxActive, 'integer>=1');
    // A left side (sensor facts and fired contexts) is addressed by a position mask that must stay exact.
    if (p.maxActive > 32) throw new RangeError(`maxActive must be an integer in [1, 32], got ${p.maxActive}`);
    checkParam('rangePoints', p.rangePoints, 'integer>=2');
    checkParam('rangeMargin', p.rangeMargin, 'nonNegative');
    if (p.rangeMode !== 'expand' && p.rangeMode !== 'fixed')
      throw new RangeError(`rangeMode must be 'expand' or 'fixed', got ${String(p.rangeMode)}`);
    if (!(Number.isInteger(p.restPeriod) && p.restPeriod >= 0))
      throw new RangeError(`restPeriod must be an integer >= 0, got ${String(p.restPeriod)}`);
    checkParam('alertLevel', p.alertLevel, 'unit');
    this.params = {
      bits: p.bits,
      maxLeft: p.maxLeft,
      maxActive: p.maxActive,
      rangePoints: p.rangePoints,
      rangeMargin: p.rangeMargin,
      rangeMode: p.rangeMode,
      restPeriod: p.restPeriod,
      alertLevel: p.alertLevel,
    };
    this.neuronBase = 2 * p.bits;
    this.sinceAlert = p.restPeriod;
  }

  /** Number of contexts remembered so far (memory grows with the variety of patterns seen). */
  get contextCount(): number {
    return this.ctxCount.length;
  }

  update(time: number, value: number): number {
    checkPoint(time, value);
    this.n++;
    if (this.n < this.params.rangePoints) {
      this.warm.push(value);
      return 0;
    }
    if (this.n === this.params.rangePoints) {
      this.warm.push(value);
      this.fixRange();
      // Learn from the values that fixed the range: only the scoring had to wait for it.
      for (const v of this.warm) this.step(this.sensorFacts(v));
      this.warm = [];
      return 0;
    }
    const raw = this.step(this.sensorFacts(value));
    const out = this.sinceAlert >= this.params.restPeriod ? raw : 0;
    if (raw >= this.params.alertLevel) this.sinceAlert = 0;
    else this.sinceAlert++;
    return out;
  }

  private fixRange(): void {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of this.warm) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // A flat start has no span: give it one on the value's own scale so that a later change registers.
    const span = hi > lo ? hi - lo : Math.abs(lo) > 0 ? Math.abs(lo) : 1;
    const m = hi > lo ? this.params.rangeMargin * span : span / 2;
    this.lo = lo - m;
    this.hi = hi + m;
  }

  /** The facts of a value: per bit of its level, 2·bit position + bit (nearby levels share facts). */
  private sensorFacts(value: number): number[] {
    const p = this.params;
    if (p.rangeMode === 'expand' && (value < this.lo || value > this.hi)) {
      const m = p.rangeMargin * (this.hi - this.lo);
      if (value < this.lo) this.lo = value - m;
      else this.hi = value + m;
    }
    const levels = 2 ** p.bits;
    let level = Math.floor(((value - this.lo) / (this.hi - this.lo)) * levels);
    if (level < 0) level = 0;
    else if (level >= levels) level = levels - 1;
    const facts = new Array<number>(p.bits);
    for (let b = 0; b < p.bits; b++) facts[b] = 2 * b + ((level >> b) & 1);
    return facts;
  }

  /** Finds or creates a semi-context; returns its id and whether it is new. */
  private semi(side: 0 | 1, facts: readonly number[]): number {
    const sensorOnly = (facts[facts.length - 1] as number) < this.neuronBase;
    if (sensorOnly) {
      const found = (side === 0 ? this.leftBySensor : this.rightBySensor).get(sensorMask(facts));
      if (found !== undefined) return found;
    }
    const ids = side === 0 ? this.leftIds : this.rightIds;
    const k = key(facts);
    const found = sensorOnly ? undefined : ids.get(k);
    if (found !== undefined) return found;
    const list = side === 0 ? this.leftSemis : this.rightSemis;
    const id = list.length;
    list.push(facts.slice());
    ids.set(k, id);
    if (sensorOnly) (side === 0 ? this.leftBySensor : this.rightBySensor).set(sensorMask(facts), id);
    if (side === 0) {
      this.leftContexts.push(new Map());
      this.wholeOf.push([]);
    }
    const index = side === 0 ? this.leftIndex : this.rightIndex;
    const last = facts[facts.length - 1] as number;
    if (side === 0 && last >= this.neuronBase) {
      const at = this.leftByLast.get(last);
      if (at) at.push(id);
      else this.leftByLast.set(last, [id]);
    }
    for (const f of facts) {
      const at = index.get(f);
      if (at) at.push(id);
      else index.set(f, [id]);
    }
    return id;
  }

  /** Finds or creates the context (left, right); returns its id, or -1 - id when it already existed. */
  private context(left: readonly number[], right: readonly number[], whole: boolean): number {
    const l = this.semi(0, left);
    const r = this.semi(1, right);
    const map = this.leftContexts[l] as Map<number, number>;
    const found = map.get(r);
    if (found !== undefined) return -1 - found;
    const id = this.ctxCount.length;
    map.set(r, id);
    this.ctxLeft.push(l);
    this.ctxRight.push(r);
    this.ctxCount.push(0);
    this.ctxWhole.push(whole ? 1 : 0);
    if (whole) (this.wholeOf[l] as number[]).push(id);
    return id;
  }

  /** Marks a context as seen whole, keeping its left side's list of such contexts ascending. */
  private markWhole(c: number): void {
    if (this.ctxWhole[c] === 1) return;
    this.ctxWhole[c] = 1;
    const list = this.wholeOf[this.ctxLeft[c] as number] as number[];
    let at = list.length;
    while (at > 0 && (list[at - 1] as number) > c) at--;
    list.splice(at, 0, c);
  }

  /** Counts, per semi-context, how many of `facts` it holds; returns the ids touched, in a fixed order. */
  private cross(side: 0 | 1, facts: readonly number[]): number[] {
    const index = side === 0 ? this.leftIndex : this.rightIndex;
    const size = (side === 0 ? this.leftSemis : this.rightSemis).length;
    let overlap = side === 0 ? this.leftOverlap : this.rightOverlap;
    if (overlap.length < size) {
      overlap = new Int32Array(Math.max(size, overlap.length * 2));
      if (side === 0) this.leftOverlap = overlap;
      else this.rightOverlap = overlap;
    }
    const touched: number[] = [];
    for (const f of facts) {
      const ids = index.get(f);
      if (!ids) continue;
      for (const id of ids) {
        const had = overlap[id] as number;
        overlap[id] = had + 1;
        if (had === 0) touched.push(id);
      }
    }
    return touched;
  }

  /** Marks the facts of `facts` (sorted) with a new stamp and their positions; returns the marks. */
  private markPositions(facts: readonly number[]): Int32Array {
    const stamp = ++this.stamp;
    const top = facts.length > 0 ? (facts[facts.length - 1] as number) : 0;
    if (this.marks.length <= top) {
      const size = Math.max(top + 1, this.marks.length * 2);
      const marks = new Int32Array(size);
      marks.set(this.marks);
      this.marks = marks;
      this.positions = new Int32Array(size);
    }
    for (let i = 0; i < facts.length; i++) {
      this.marks[facts[i] as number] = stamp;
      this.positions[facts[i] as number] = i;
    }
    return this.marks;
  }

  /** Ids of the existing semi-contexts that are non-empty subsets of `facts` (sorted, at most 8 long). */
  private subsets(side: 0 | 1, facts: readonly number[]): number[] {
    const ids = side === 0 ? this.leftBySensor : this.rightBySensor;
    const all = sensorMask(facts);
    const out: number[] = [];
    // Every non-empty submask of `all`, in decreasing order (the order does not matter to the callers).
    for (let m = all; m > 0; m = (m - 1) & all) {
      const id = ids.get(m);
      if (id !== undefined) out.push(id);
    }
    return out;
  }

  /**
   * The contexts predicted by `prev` (left side wholly in it) and those of them confirmed by `sensor`
   * (right side wholly in it), found without walking the memory: a left side wholly in `prev` is either a
   * subset of its few sensor facts or holds one of its neuron facts, and a right side wholly in `sensor` is
   * one of its subsets. For a familiar step, where nothing new is learnt and nothing else is needed.
   */
  private familiar(prev: readonly number[], sensor: readonly number[], active: number[]): number {
    const base = this.neuronBase;
    let split = 0;
    while (split < prev.length && (prev[split] as number) < base) split++;
    const full = this.subsets(0, prev.slice(0, split));
    if (split < prev.length) {
      const marks = this.markPositions(prev);
      const stamp = this.stamp;
      // Each left side with neuron facts is listed under its last one only, so it is checked once.
      for (let i = split; i < prev.length; i++) {
        const listed = this.leftByLast.get(prev[i] as number);
        if (!listed) continue;
        for (const l of listed) {
          const facts = this.leftSemis[l] as number[];
          let all = true;
          for (let j = facts.length - 2; j >= 0 && all; j--) all = marks[facts[j] as number] === stamp;
          if (all) full.push(l);
        }
      }
    }
    const wholeRights = this.subsets(1, sensor);
    let selected = 0;
    for (const l of full) {
      const map = this.leftContexts[l] as Map<number, number>;
      selected += map.size;
      for (const r of wholeRights) {
        const c = map.get(r);
        if (c !== undefined) {
          this.ctxCount[c] = (this.ctxCount[c] as number) + 1;
          active.push(c);
        }
      }
    }
    return selected;
  }

  /** One step of the memory on the current sensor facts; returns the raw anomaly score. */
  private step(sensor: number[]): number {
    const p = this.params;
    const prev = this.prevLeft;
    const active: number[] = [];
    /** Candidate new contexts as leftMask · RIGHT_SPAN + rightMask (positions in prev and in sensor). */
    const candidates: number[] = [];
    // The step pair itself (every position of both) counts among the unique candidates.
    const unique = new Set<number>([(2 ** prev.length - 1) * RIGHT_SPAN + (2 ** sensor.length - 1)]);
    let selected = 0;
    let newId = -1;
    const l0 = prev.length > 0 ? this.leftIds.get(key(prev)) : undefined;
    const r0 = l0 === undefined ? undefined : this.rightIds.get(key(sensor));
    const c0 = r0 === undefined ? undefined : this.leftContexts[l0 as number]?.get(r0);
    if (c0 !== undefined || prev.length === 0) {
      // A step pair seen before: it is marked as seen whole, and only the whole matches count.
      if (c0 !== undefined) this.markWhole(c0);
      selected = this.familiar(prev, sensor, active);
    } else {
      // A new step pair: predictions come from the previous left side, crossed before it is stored; then
      // every partial match of a context once seen whole is a candidate for a new, shorter context.
      const leftTouched = this.cross(0, prev);
      newId = this.context(prev, sensor, true);
      const rightTouched = this.cross(1, sensor);
      const lo = this.leftOverlap;
      const ro = this.rightOverlap;
      // A candidate is a pair (part of prev, part of sensor), written as two position masks so that
      // duplicates (most of them) are dropped before any array or string is built.
      const marks = this.markPositions(prev);
      const stamp = this.stamp;
      const rightMask = (r: number) => {
        let m = 0;
        for (const f of this.rightSemis[r] as number[]) {
          const at = sensor.indexOf(f);
          if (at >= 0) m += 2 ** at;
        }
        return m;
      };
      const rightMasks = new Map<number, number>();
      const wholeRights: number[] = [];
      for (const r of rightTouched)
        if (ro[r] === (this.rightSemis[r] as number[]).length) wholeRights.push(r);
      for (const l of leftTouched) {
        const have = lo[l] as number;
        const full = have === (this.leftSemis[l] as number[]).length;
        if (full) {
          const map = this.leftContexts[l] as Map<number, number>;
          selected += map.size;
          for (const r of wholeRights) {
            const c = map.get(r);
            if (c !== undefined && c !== newId) {
              this.ctxCount[c] = (this.ctxCount[c] as number) + 1;
              active.push(c);
            }
          }
          // The context this step created is not a prediction (it did not exist before the step).
          if (l === this.ctxLeft[newId]) selected--;
        }
        // Too long a left side does not seed new contexts.
        if (have > p.maxLeft) continue;
        let leftMask = -1;
        // Only the contexts once seen whole seed new ones: the short list of them, in creation order.
        for (const c of this.wholeOf[l] as number[]) {
          if (c === newId) continue;
          const r = this.ctxRight[c] as number;
          const rHave = ro[r] as number;
          if (rHave === 0 || (full && rHave === (this.rightSemis[r] as number[]).length)) continue;
          // A partial match of a context once seen whole: its shared part may be a pattern of its own.
          if (leftMask < 0) {
            // Bit operations on 30 positions at a time (prev holds up to 8 + 32 facts).
            let low = 0;
            let high = 0;
            for (const f of this.leftSemis[l] as number[]) {
              if (marks[f] !== stamp) continue;
              const at = this.positions[f] as number;
              if (at < 30) low |= 1 << at;
              else high |= 1 << (at - 30);
            }
            leftMask = high * 2 ** 30 + low;
          }
          let rm = rightMasks.get(r);
          if (rm === undefined) {
            rm = rightMask(r);
            rightMasks.set(r, rm);
          }
          const k = leftMask * RIGHT_SPAN + rm;
          if (!unique.has(k)) {
            unique.add(k);
            candidates.push(k);
          }
        }
      }
      for (const l of leftTouched) lo[l] = 0;
      for (const r of rightTouched) ro[r] = 0;
    }
    const isNew = newId >= 0;
    const predicted = selected > 0 ? active.length / selected : 0;

    // The most used contexts that fired carry the sequence forward as facts of the next left side.
    const top = topContexts(active, this.ctxCount, p.maxActive);
    // Sensor facts are below every neuron fact and already in order: only the neuron part needs sorting
    // (a handful of ids, by insertion).
    const next = sensor.slice();
    const from = next.length;
    for (const c of top) {
      const f = this.neuronBase + c;
      let at = next.length;
      while (at > from && (next[at - 1] as number) > f) {
        next[at] = next[at - 1] as number;
        at--;
      }
      next[at] = f;
    }
    this.prevLeft = next;

    let added = 0;
    let learnt = 0;
    if (isNew) {
      for (const k of candidates) {
        const lm = Math.floor(k / RIGHT_SPAN);
        const rm = k - lm * RIGHT_SPAN;
        if (this.context(pick(prev, lm), pick(sensor, rm), false) >= 0) added++;
      }
      learnt = (added + 1) / unique.size;
    }
    return (1 - predicted + learnt) / 2;
  }

  toJSON(): DetectorJSON {
    const state: ContextualState = {
      n: this.n,
      warm: this.warm.slice(),
      lo: this.lo,
      hi: this.hi,
      prevLeft: this.prevLeft.slice(),
      sinceAlert: this.sinceAlert,
      leftSemis: this.leftSemis.map((f) => f.slice()),
      rightSemis: this.rightSemis.map((f) => f.slice()),
      contexts: this.ctxCount.map(
        (count, i) =>
          [this.ctxLeft[i] as number, this.ctxRight[i] as number, count, this.ctxWhole[i] as number] as [
            number,
            number,
            number,
            number,
          ],
      ),
    };
    return { kind: this.kind, params: { ...this.params }, state };
  }

  /** Rebuilds a detector from {@link toJSON} output; it continues with the same scores. */
  static fromJSON(json: DetectorJSON): ContextualDetector {
    const d = new ContextualDetector(json.params as Partial<ContextualParams>);
    const s = json.state as ContextualState | null;
    if (!s || !Array.isArray(s.leftSemis) || !Array.isArray(s.rightSemis) || !Array.isArray(s.contexts))
      throw new RangeError('state must hold leftSemis, rightSemis and contexts arrays');
    d.n = s.n;
    d.warm = s.warm.slice();
    d.lo = s.lo;
    d.hi = s.hi;
    d.prevLeft = s.prevLeft.slice();
    d.sinceAlert = s.sinceAlert;
    for (const f of s.leftSemis) d.semi(0, f);
    for (const f of s.rightSemis) d.semi(1, f);
    for (const [l, r, count, whole] of s.contexts) {
      const map = d.leftContexts[l];
      if (!map || r < 0 || r >= d.rightSemis.length)
        throw new RangeError('state.contexts must refer to existing semi-contexts');
      map.set(r, d.ctxCount.length);
      d.ctxLeft.push(l);
      d.ctxRight.push(r);
      d.ctxCount.push(count);
      d.ctxWhole.push(whole === 1 ? 1 : 0);
      if (whole === 1) (d.wholeOf[l] as number[]).push(d.ctxCount.length - 1);
    }
    return d;
  }
}
