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
 * points, not a share of the file's length. Memory grows with the variety of patterns (a few thousand
 * contexts on a noisy series of a few thousand points, 7,000-9,000 on 100,000 points of a random walk or
 * of white noise), so it is bounded: past `maxContexts` the least recently used contexts are forgotten.
 *
 * How it stays fast without walking the memory (every score and every state is what the plain algorithm
 * gives; the unit tests compare the two):
 * - a step pair seen before (most steps) fires exactly the contexts it fired last time plus those learnt
 *   since that fit it, so each such pair keeps its firing list and extends it with the contexts added since
 *   (left sides are rejected by a 32-bit signature before their facts are checked); the step then costs one
 *   pass over that list, which counts the firings and selects the most used in the same loop;
 * - a new step pair finds the left sides within the previous one through its sensor subsets and its neuron
 *   facts, and the seeds of new contexts through an index of only the left sides once seen whole, with the
 *   positions they share recorded as it counts the overlaps; candidates are deduplicated in an
 *   open-addressing set;
 * - left sides are found by a 32-bit hash of their facts, sensor-only sides and right sides by their fact
 *   masks; per-context data lives in typed arrays.
 * The firing lists are derived data: never serialised, rebuilt on demand after a restore.
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
  /**
   * Most contexts remembered (0: unbounded). Once more are held, the least recently used (fired or
   * created; ties to the older) are forgotten down to 90 % of the bound, with every context whose left side
   * holds a forgotten one. 10,000 keeps the detector's JSON under about 330 KB (DynamoDB items hold 400 KB)
   * and is never reached on NAB's files (at most 6,276 contexts). @default 10000
   */
  readonly maxContexts: number;
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
  maxContexts: 10_000,
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
  /** With maxContexts only: per context, steps since it last fired or was created. */
  idle?: number[];
}

/** Span of a right-side position mask (a sensor has at most 8 facts). */
const RIGHT_SPAN = 256;

/** A 32-bit hash of a sorted fact list, to find a left side without building a string key. */
function hashFacts(facts: ArrayLike<number>, len: number): number {
  let h = 0x811c9dc5 ^ len;
  for (let i = 0; i < len; i++) {
    h = Math.imul(h ^ (facts[i] as number), 0x01000193);
    h ^= h >>> 15;
  }
  return h | 0;
}

/** Home slot of the pair (l, r) in a table of 2^(32 - shift) slots. */
function pairSlot(l: number, r: number, shift: number): number {
  return Math.imul(Math.imul(l, 0x9e3779b1) ^ r, 0x85ebca6b) >>> shift;
}

/** One bit per fact (fact mod 32): a left side whose signature has a bit outside another's is not within it. */
function signature(facts: readonly number[]): number {
  let s = 0;
  for (const f of facts) s |= 1 << (f & 31);
  return s;
}

/** Sum of 2^fact over sensor facts (all below 16): a numeric key for a set of them. */
function sensorMask(facts: readonly number[]): number {
  let m = 0;
  for (const f of facts) m |= 1 << f;
  return m;
}

/** The first `len` facts as the plain array a semi-context keeps (and its JSON shows). */
function copyFacts(facts: ArrayLike<number>, len: number): number[] {
  const out = new Array<number>(len);
  for (let i = 0; i < len; i++) out[i] = facts[i] as number;
  return out;
}

/** The first `len` entries of `ids` in an array with some room to grow. */
function copyList(ids: Int32Array, len: number): Int32Array {
  const out = new Int32Array(len + 8);
  for (let i = 0; i < len; i++) out[i] = ids[i] as number;
  return out;
}

/** Inserts `id` into an ascending list (ids are usually the newest, so the search runs from the end). */
function insertSorted(list: number[], id: number): void {
  let at = list.length;
  while (at > 0 && (list[at - 1] as number) > id) at--;
  if (at === list.length) list.push(id);
  else list.splice(at, 0, id);
}

/** Contextual anomaly detector (CAD-style pattern memory); scores in [0, 1]. */
export class ContextualDetector implements AnomalyDetector {
  readonly kind = 'contextual';
  readonly params: ContextualParams;
  /** First fact number of the neuron facts (context ids); the sensor facts are 0 .. 2·bits - 1. */
  private readonly neuronBase: number;
  /** 2^bits quantisation levels. */
  private readonly levels: number;
  /** maxContexts, or 0 when unbounded. */
  private readonly bound: number;
  /** Steps learnt so far (equal to n once the range is known), the clock of `used`. */
  private steps = 0;

  private n = 0;
  private warm: number[] = [];
  private lo = 0;
  private hi = 0;
  private sinceAlert = 0;
  /** The previous step's left side (sorted facts) in prevBuf[0 .. prevLen), and its hash. */
  private prevBuf: Int32Array;
  private nextBuf: Int32Array;
  private prevLen = 0;
  private prevHash = 0;
  /** The current value's sensor facts (one per bit, ascending) and their mask. */
  private readonly sensor: Int32Array;
  private sensorBits = 0;

  private readonly leftSemis: number[][] = [];
  private readonly rightSemis: number[][] = [];
  /** Per left semi-context: its signature, its contexts (ascending) and the hash of its facts. */
  private readonly leftSig: number[] = [];
  private readonly leftCtx: number[][] = [];
  private readonly leftHash: number[] = [];
  /** Per left semi-context: ids of its contexts seen whole as a step pair, ascending. */
  private readonly wholeOf: number[][] = [];
  /**
   * Open-addressing tables (linear probing, id + 1 per slot, 0 empty, at most half full): left semi-contexts
   * by the hash of their facts, contexts by their (left, right) pair.
   */
  private leftSlots = new Int32Array(256);
  private leftShift = 24;
  private ctxSlots = new Int32Array(256);
  private ctxShift = 24;
  /** Semi-contexts made of sensor facts only, by the mask of those facts (-1: none). */
  private readonly leftBySensor: Int32Array;
  private readonly rightBySensor: Int32Array;
  /** Per right semi-context: the mask of its facts (every right side is made of sensor facts). */
  private readonly rightMaskOf: number[] = [];
  /** fact -> left semi-contexts holding neuron facts, listed under their last (largest) fact only. */
  private readonly leftByLast: (number[] | undefined)[] = [];
  /** fact -> left semi-contexts holding it that have a context seen whole (the only seeds), ascending. */
  private readonly seedIndex: (number[] | undefined)[] = [];

  /** Per context, in typed arrays grown by doubling: left and right semi ids, times fired, seen whole. */
  private ctxN = 0;
  private ctxLeft = new Int32Array(256);
  private ctxRight = new Int32Array(256);
  private ctxCount = new Int32Array(256);
  private ctxWhole = new Uint8Array(256);
  /** Per context: the step at which it last fired or was created (serialised only when bounded). */
  private used = new Int32Array(256);

  /**
   * Per context seen as a whole step pair (prev, sensor): the contexts it predicts and confirms (left side
   * within prev, right side within sensor), how many it predicts, and the memory size when that was last
   * brought up to date. The memory only grows, so an entry is extended with the contexts added since.
   * Derived from the memory, never serialised.
   */
  private readonly firing: (Int32Array | undefined)[] = [];
  private firingLen = new Int32Array(256);
  private firingSelected = new Int32Array(256);
  private firingSeen = new Int32Array(256);

  // Scratch, sized as the memory grows (never serialised).
  /** Membership marks by fact (a fact is present when marked with `stamp`) and its position there. */
  private marks = new Int32Array(64);
  private positions = new Int32Array(64);
  private stamp = 0;
  private overlap = new Int32Array(64);
  /** This novel step's candidate keys: an open-addressing set whose slots count as full in the epoch. */
  private keySlots = new Float64Array(256);
  private keyEpochs = new Int32Array(256);
  private keyEpoch = 0;
  private keyShift = 24;
  private keyCount = 0;
  private sharedLow = new Int32Array(64);
  private sharedHigh = new Int32Array(64);
  /** Sensor facts mask -> mask of their positions in a sensor (fact f sits at position f >> 1). */
  private readonly sensorPositions: Uint8Array;
  private readonly within: number[] = [];
  private readonly touched: number[] = [];
  private active: Int32Array = new Int32Array(64);
  private readonly top: Int32Array;
  private readonly topCount: Int32Array;
  /** How many contexts the last call of `predictions` found predicted. */
  private predicted = 0;
  private readonly pickBuf: Int32Array;

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
    if (!(Number.isInteger(p.maxContexts) && p.maxContexts >= 0))
      throw new RangeError(
        `maxContexts must be an integer >= 0 (0: unbounded), got ${String(p.maxContexts)}`,
      );
    this.params = {
      bits: p.bits,
      maxLeft: p.maxLeft,
      maxActive: p.maxActive,
      rangePoints: p.rangePoints,
      rangeMargin: p.rangeMargin,
      rangeMode: p.rangeMode,
      restPeriod: p.restPeriod,
      alertLevel: p.alertLevel,
      maxContexts: p.maxContexts,
    };
    this.bound = p.maxContexts;
    this.neuronBase = 2 * p.bits;
    this.levels = 2 ** p.bits;
    this.sinceAlert = p.restPeriod;
    const width = p.bits + p.maxActive;
    this.prevBuf = new Int32Array(width);
    this.nextBuf = new Int32Array(width);
    this.sensor = new Int32Array(p.bits);
    this.top = new Int32Array(p.maxActive);
    this.topCount = new Int32Array(p.maxActive);
    this.pickBuf = new Int32Array(width);
    this.leftBySensor = new Int32Array(1 << this.neuronBase).fill(-1);
    this.rightBySensor = new Int32Array(1 << this.neuronBase).fill(-1);
    this.sensorPositions = new Uint8Array(1 << this.neuronBase);
    for (let m = 1; m < this.sensorPositions.length; m++) {
      let at = 0;
      for (let f = 0; f < this.neuronBase; f++) if ((m >>> f) & 1) at |= 1 << (f >> 1);
      this.sensorPositions[m] = at;
    }
  }

  /** Number of contexts remembered (grows with the variety of patterns seen, up to maxContexts). */
  get contextCount(): number {
    return this.ctxN;
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
      for (const v of this.warm) {
        this.sensorFacts(v);
        this.learn();
      }
      this.warm = [];
      return 0;
    }
    this.sensorFacts(value);
    const raw = this.learn();
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

  /** Sets the sensor facts of a value: per bit of its level, 2·bit position + bit (nearby levels share facts). */
  private sensorFacts(value: number): void {
    const p = this.params;
    if (p.rangeMode === 'expand' && (value < this.lo || value > this.hi)) {
      const m = p.rangeMargin * (this.hi - this.lo);
      if (value < this.lo) this.lo = value - m;
      else this.hi = value + m;
    }
    const levels = this.levels;
    let level = Math.floor(((value - this.lo) / (this.hi - this.lo)) * levels);
    if (level < 0) level = 0;
    else if (level >= levels) level = levels - 1;
    let mask = 0;
    for (let b = 0; b < p.bits; b++) {
      const f = 2 * b + ((level >> b) & 1);
      this.sensor[b] = f;
      mask |= 1 << f;
    }
    this.sensorBits = mask;
  }

  /** The left semi-context with exactly these (sorted) facts, or -1. */
  private findLeft(facts: ArrayLike<number>, len: number, hash: number): number {
    const slots = this.leftSlots;
    const mask = slots.length - 1;
    for (let at = Math.imul(hash, 0x9e3779b1) >>> this.leftShift; ; at = (at + 1) & mask) {
      const id = (slots[at] as number) - 1;
      if (id < 0) return -1;
      if (this.leftHash[id] !== hash) continue;
      const have = this.leftSemis[id] as number[];
      if (have.length !== len) continue;
      let same = true;
      for (let i = 0; i < len && same; i++) same = have[i] === facts[i];
      if (same) return id;
    }
  }

  /** Files left semi-context `id` in the table by its hash (growing the table when half full). */
  private fileLeft(id: number): void {
    if (2 * (id + 1) > this.leftSlots.length) {
      this.leftSlots = new Int32Array(this.leftSlots.length * 2);
      this.leftShift--;
      for (let i = 0; i < id; i++) this.fileLeft(i);
    }
    const slots = this.leftSlots;
    const mask = slots.length - 1;
    let at = Math.imul(this.leftHash[id] as number, 0x9e3779b1) >>> this.leftShift;
    while (slots[at] !== 0) at = (at + 1) & mask;
    slots[at] = id + 1;
  }

  /** The context (l, r), or -1. */
  private findContext(l: number, r: number): number {
    const slots = this.ctxSlots;
    const mask = slots.length - 1;
    for (let at = pairSlot(l, r, this.ctxShift); ; at = (at + 1) & mask) {
      const id = (slots[at] as number) - 1;
      if (id < 0) return -1;
      if (this.ctxLeft[id] === l && this.ctxRight[id] === r) return id;
    }
  }

  /** Files context `id` in the table by its pair (growing the table when half full). */
  private fileContext(id: number): void {
    if (2 * (id + 1) > this.ctxSlots.length) {
      this.ctxSlots = new Int32Array(this.ctxSlots.length * 2);
      this.ctxShift--;
      for (let i = 0; i < id; i++) this.fileContext(i);
    }
    const slots = this.ctxSlots;
    const mask = slots.length - 1;
    let at = pairSlot(this.ctxLeft[id] as number, this.ctxRight[id] as number, this.ctxShift);
    while (slots[at] !== 0) at = (at + 1) & mask;
    slots[at] = id + 1;
  }

  /** Finds or creates the left semi-context with these (sorted, non-empty) facts. */
  private leftSemi(facts: ArrayLike<number>, len: number): number {
    const last = facts[len - 1] as number;
    if (last < this.neuronBase) {
      let mask = 0;
      for (let i = 0; i < len; i++) mask |= 1 << (facts[i] as number);
      const found = this.leftBySensor[mask] as number;
      if (found >= 0) return found;
      const id = this.addLeft(copyFacts(facts, len));
      this.leftBySensor[mask] = id;
      return id;
    }
    const found = this.findLeft(facts, len, hashFacts(facts, len));
    if (found >= 0) return found;
    const id = this.addLeft(copyFacts(facts, len));
    const listed = this.leftByLast[last];
    if (listed) listed.push(id);
    else this.leftByLast[last] = [id];
    return id;
  }

  private addLeft(facts: number[]): number {
    const id = this.leftSemis.length;
    this.leftSemis.push(facts);
    this.leftSig.push(signature(facts));
    this.leftCtx.push([]);
    this.wholeOf.push([]);
    this.leftHash.push(hashFacts(facts, facts.length));
    this.fileLeft(id);
    return id;
  }

  /** Finds or creates the right semi-context with the sensor facts of `mask`. */
  private rightSemi(mask: number): number {
    const found = this.rightBySensor[mask] as number;
    if (found >= 0) return found;
    const id = this.rightSemis.length;
    const facts: number[] = [];
    for (let f = 0; f < this.neuronBase; f++) if ((mask >>> f) & 1) facts.push(f);
    this.rightSemis.push(facts);
    this.rightMaskOf.push(mask);
    this.rightBySensor[mask] = id;
    return id;
  }

  /** Finds or creates the context (left, right); returns its id, or -1 - id when it already existed. */
  private context(l: number, r: number, whole: boolean): number {
    const found = this.findContext(l, r);
    if (found >= 0) return -1 - found;
    const id = this.ctxN;
    if (id === this.ctxLeft.length) this.growContexts();
    this.ctxN = id + 1;
    (this.leftCtx[l] as number[]).push(id);
    this.ctxLeft[id] = l;
    this.ctxRight[id] = r;
    this.fileContext(id);
    this.used[id] = this.steps;
    this.firing.push(undefined);
    if (whole) this.markWhole(id);
    return id;
  }

  private growContexts(): void {
    const size = this.ctxLeft.length * 2;
    const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.ctxLeft = grow(this.ctxLeft, new Int32Array(size));
    this.ctxRight = grow(this.ctxRight, new Int32Array(size));
    this.ctxCount = grow(this.ctxCount, new Int32Array(size));
    this.ctxWhole = grow(this.ctxWhole, new Uint8Array(size));
    this.used = grow(this.used, new Int32Array(size));
    this.firingLen = grow(this.firingLen, new Int32Array(size));
    this.firingSelected = grow(this.firingSelected, new Int32Array(size));
    this.firingSeen = grow(this.firingSeen, new Int32Array(size));
  }

  /** Marks a context as seen whole, keeping its left side's list of such contexts ascending. */
  private markWhole(c: number): void {
    if (this.ctxWhole[c] === 1) return;
    this.ctxWhole[c] = 1;
    const l = this.ctxLeft[c] as number;
    const list = this.wholeOf[l] as number[];
    insertSorted(list, c);
    // The left side becomes a seed of new contexts: list it under each of its facts.
    if (list.length === 1)
      for (const f of this.leftSemis[l] as number[]) {
        const at = this.seedIndex[f];
        if (at) insertSorted(at, l);
        else this.seedIndex[f] = [l];
      }
  }

  /** Marks the (sorted) facts with a new stamp and their positions. */
  private markPositions(facts: ArrayLike<number>, len: number): void {
    const stamp = ++this.stamp;
    const top = len > 0 ? (facts[len - 1] as number) : 0;
    if (this.marks.length <= top) {
      const size = Math.max(top + 1, this.marks.length * 2);
      const marks = new Int32Array(size);
      marks.set(this.marks);
      this.marks = marks;
      this.positions = new Int32Array(size);
    }
    for (let i = 0; i < len; i++) {
      this.marks[facts[i] as number] = stamp;
      this.positions[facts[i] as number] = i;
    }
  }

  /** Whether every fact of left semi-context `l` is marked with the current stamp. */
  private marked(l: number): boolean {
    const facts = this.leftSemis[l] as number[];
    const marks = this.marks;
    const stamp = this.stamp;
    for (let j = facts.length - 1; j >= 0; j--) if (marks[facts[j] as number] !== stamp) return false;
    return true;
  }

  /**
   * Fills `within` with the left semi-contexts wholly in the marked (sorted) facts, without walking the
   * memory: such a side is either a subset of their few sensor facts or holds one of their neuron facts,
   * and is listed under its last one.
   */
  private collectWithin(facts: ArrayLike<number>, len: number): void {
    const out = this.within;
    out.length = 0;
    const base = this.neuronBase;
    let all = 0;
    let split = 0;
    while (split < len && (facts[split] as number) < base) all |= 1 << (facts[split++] as number);
    for (let m = all; m > 0; m = (m - 1) & all) {
      const id = this.leftBySensor[m] as number;
      if (id >= 0) out.push(id);
    }
    const marks = this.marks;
    const stamp = this.stamp;
    const sigs = this.leftSig;
    let sig = 0;
    for (let i = 0; i < len; i++) sig |= 1 << ((facts[i] as number) & 31);
    const outside = ~sig;
    for (let i = split; i < len; i++) {
      const listed = this.leftByLast[facts[i] as number];
      if (!listed) continue;
      for (const l of listed) {
        if ((sigs[l] as number) & outside) continue;
        const lf = this.leftSemis[l] as number[];
        let ok = true;
        for (let j = lf.length - 2; j >= 0 && ok; j--) ok = marks[lf[j] as number] === stamp;
        if (ok) out.push(l);
      }
    }
  }

  /**
   * The contexts predicted by the left side whose `within` is filled and confirmed by sensor mask `sm`:
   * returns [contexts, how many] (the array may be longer) and sets `predicted` to how many it predicts.
   */
  private predictions(sm: number, into: Int32Array): [Int32Array, number] {
    let selected = 0;
    let n = 0;
    let out = into;
    for (const l of this.within) {
      const list = this.leftCtx[l] as number[];
      selected += list.length;
      for (const c of list)
        if (((this.rightMaskOf[this.ctxRight[c] as number] as number) & ~sm) === 0) {
          if (n === out.length) {
            const wider = new Int32Array(out.length * 2);
            wider.set(out);
            out = wider;
          }
          out[n++] = c;
        }
    }
    this.predicted = selected;
    return [out, n];
  }

  /** Brings the firing entry of step pair `c0` up to date with the memory; returns its list. */
  private refreshFiring(c0: number, sm: number): Int32Array {
    const cached = this.firing[c0];
    let list: Int32Array;
    const size = this.ctxN;
    const l0 = this.ctxLeft[c0] as number;
    const facts = this.leftSemis[l0] as number[];
    if (!cached) {
      this.markPositions(facts, facts.length);
      this.collectWithin(facts, facts.length);
      const [found, n] = this.predictions(sm, this.active);
      this.active = found;
      // The order of a list does not change the result (the selection breaks ties by id).
      list = copyList(found, n);
      this.firingLen[c0] = n;
      this.firingSelected[c0] = this.predicted;
      this.firing[c0] = list;
    } else {
      list = cached;
      const from = this.firingSeen[c0] as number;
      if (from === size) return list;
      const sig = this.leftSig[l0] as number;
      let selected = this.firingSelected[c0] as number;
      let n = this.firingLen[c0] as number;
      let marked = false;
      for (let c = from; c < size; c++) {
        const l = this.ctxLeft[c] as number;
        if ((this.leftSig[l] as number) & ~sig) continue;
        if (!marked) {
          this.markPositions(facts, facts.length);
          marked = true;
        }
        if (!this.marked(l)) continue;
        selected++;
        if (((this.rightMaskOf[this.ctxRight[c] as number] as number) & ~sm) === 0) {
          if (n === list.length) {
            const wider = new Int32Array(list.length * 2);
            wider.set(list);
            list = wider;
            this.firing[c0] = list;
          }
          list[n++] = c;
        }
      }
      this.firingSelected[c0] = selected;
      this.firingLen[c0] = n;
    }
    this.firingSeen[c0] = size;
    return list;
  }

  /**
   * Counts one more firing of each of the first `len` of `ids` (all distinct), marks them used at step
   * `now`, and puts the `k` most used (ties to the smaller id) into `top`; returns how many. A context's
   * count is final when it is compared, so this selects as if all were counted first.
   */
  private fireAndSelect(ids: Int32Array, len: number, now: number): number {
    const counts = this.ctxCount;
    const used = this.used;
    const top = this.top;
    const topCount = this.topCount;
    const k = top.length;
    // A heap whose root is the weakest selected (fewest firings, then the younger): a context stronger than
    // the root replaces it. Only the set matters, since the caller sorts it by id.
    let n = 0;
    for (let i = 0; i < len; i++) {
      const c = ids[i] as number;
      const cc = (counts[c] as number) + 1;
      counts[c] = cc;
      used[c] = now;
      let at: number;
      if (n < k) {
        at = n++;
        while (at > 0) {
          const parent = (at - 1) >> 1;
          const pc = topCount[parent] as number;
          const pid = top[parent] as number;
          if (!(cc < pc || (cc === pc && c > pid))) break;
          top[at] = pid;
          topCount[at] = pc;
          at = parent;
        }
      } else {
        const rc = topCount[0] as number;
        if (cc < rc || (cc === rc && c > (top[0] as number))) continue;
        at = 0;
        for (;;) {
          let child = 2 * at + 1;
          if (child >= k) break;
          const right = child + 1;
          if (right < k) {
            const a = topCount[right] as number;
            const b = topCount[child] as number;
            if (a < b || (a === b && (top[right] as number) > (top[child] as number))) child = right;
          }
          const chc = topCount[child] as number;
          const chid = top[child] as number;
          if (!(chc < cc || (chc === cc && chid > c))) break;
          top[at] = chid;
          topCount[at] = chc;
          at = child;
        }
      }
      top[at] = c;
      topCount[at] = cc;
    }
    return n;
  }

  /**
   * Forgets the least recently used contexts down to 90 % of the bound (so that the rebuild it costs is
   * paid once per tenth of the bound), then every context whose left side holds a forgotten one (it could
   * never fire again); left and right sides left without contexts go too. The survivors keep their order,
   * so ties still go to the older, and the memory is rebuilt from them as from JSON.
   */
  private forget(): void {
    const total = this.ctxN;
    const target = this.bound - Math.ceil(this.bound / 10);
    const used = this.used;
    const order = Array.from({ length: total }, (_, i) => i);
    order.sort((a, b) => (used[b] as number) - (used[a] as number) || b - a);
    const keep = new Uint8Array(total);
    for (let i = 0; i < target && i < total; i++) keep[order[i] as number] = 1;
    const base = this.neuronBase;
    const lefts = this.leftSemis;
    const alive = (l: number) => {
      for (const f of lefts[l] as number[]) if (f >= base && keep[f - base] !== 1) return false;
      return true;
    };
    // A left side holds contexts older than its own, so one pass in id order settles almost every case;
    // repeat until nothing changes.
    for (let changed = true; changed; ) {
      changed = false;
      const leftAlive = new Int8Array(lefts.length).fill(-1);
      for (let c = 0; c < total; c++) {
        if (keep[c] !== 1) continue;
        const l = this.ctxLeft[c] as number;
        if (leftAlive[l] === -1) leftAlive[l] = alive(l) ? 1 : 0;
        if (leftAlive[l] === 0) {
          keep[c] = 0;
          changed = true;
        }
      }
    }
    const newCtx = new Int32Array(total).fill(-1);
    const newLeft = new Int32Array(lefts.length).fill(-1);
    const newRight = new Int32Array(this.rightSemis.length).fill(-1);
    const state: ContextualState = {
      n: this.n,
      warm: this.warm,
      lo: this.lo,
      hi: this.hi,
      prevLeft: [],
      sinceAlert: this.sinceAlert,
      leftSemis: [],
      rightSemis: [],
      contexts: [],
    };
    const keptUsed: number[] = [];
    for (let c = 0; c < total; c++) {
      if (keep[c] !== 1) continue;
      const l = this.ctxLeft[c] as number;
      const r = this.ctxRight[c] as number;
      if (newLeft[l] === -1) {
        newLeft[l] = state.leftSemis.length;
        state.leftSemis.push(
          (lefts[l] as number[]).map((f) => (f < base ? f : base + (newCtx[f - base] as number))),
        );
      }
      if (newRight[r] === -1) {
        newRight[r] = state.rightSemis.length;
        state.rightSemis.push((this.rightSemis[r] as number[]).slice());
      }
      newCtx[c] = state.contexts.length;
      state.contexts.push([
        newLeft[l] as number,
        newRight[r] as number,
        this.ctxCount[c] as number,
        this.ctxWhole[c] as number,
      ]);
      keptUsed.push(used[c] as number);
    }
    // The previous left side drops the contexts forgotten (they fired last, so only under a tiny bound).
    for (let i = 0; i < this.prevLen; i++) {
      const f = this.prevBuf[i] as number;
      if (f < base) state.prevLeft.push(f);
      else if ((newCtx[f - base] as number) >= 0) state.prevLeft.push(base + (newCtx[f - base] as number));
    }
    const steps = this.steps;
    const fresh = ContextualDetector.fromJSON({ kind: this.kind, params: { ...this.params }, state });
    Object.assign(this, fresh);
    this.steps = steps;
    for (let i = 0; i < keptUsed.length; i++) this.used[i] = keptUsed[i] as number;
  }

  /** One step of the memory, then forgetting when over the bound; returns the raw anomaly score. */
  private learn(): number {
    const raw = this.step();
    if (this.bound > 0 && this.ctxN > this.bound) this.forget();
    return raw;
  }

  /** One step of the memory on the current sensor facts; returns the raw anomaly score. */
  private step(): number {
    const p = this.params;
    const now = ++this.steps;
    const prev = this.prevBuf;
    const pl = this.prevLen;
    const sensor = this.sensor;
    const sm = this.sensorBits;
    let fired: Int32Array = this.active;
    let firedLen = 0;
    let selected = 0;
    let candidates: number[] | undefined;
    let uniqueSize = 0;
    let c0 = -1;
    if (pl > 0) {
      const l0 = this.findLeft(prev, pl, this.prevHash);
      const r0 = l0 < 0 ? -1 : (this.rightBySensor[sm] as number);
      if (r0 >= 0) c0 = this.findContext(l0, r0);
    }
    if (c0 >= 0 || pl === 0) {
      // A step pair seen before: it is marked as seen whole, and only the whole matches count.
      if (c0 >= 0) {
        this.markWhole(c0);
        fired = this.refreshFiring(c0, sm);
        firedLen = this.firingLen[c0] as number;
        selected = this.firingSelected[c0] as number;
      }
    } else {
      // A new step pair: predictions come from the memory as it was before the step; then every partial
      // match of a context once seen whole is a candidate for a new, shorter context.
      this.markPositions(prev, pl);
      this.collectWithin(prev, pl);
      [fired, firedLen] = this.predictions(sm, this.active);
      this.active = fired;
      selected = this.predicted;
      const newId = this.ctxN;
      candidates = this.seeds(prev, pl, sm);
      uniqueSize = candidates.length + 1;
      // What this step found is the new pair's firing entry for the memory as it was: the entry is
      // ready for the pair's next visit, and only the contexts added since will be scanned then.
      this.firing[newId] = copyList(fired, firedLen);
      this.firingLen[newId] = firedLen;
      this.firingSelected[newId] = selected;
      this.firingSeen[newId] = newId;
    }
    const predicted = selected > 0 ? firedLen / selected : 0;

    // The most used contexts that fired carry the sequence forward as facts of the next left side.
    const k = this.fireAndSelect(fired, firedLen, now);
    const top = this.top;
    // Sensor facts are below every neuron fact and already in order: only the neuron part needs sorting.
    for (let i = 1; i < k; i++) {
      const c = top[i] as number;
      let at = i;
      while (at > 0 && (top[at - 1] as number) > c) {
        top[at] = top[at - 1] as number;
        at--;
      }
      top[at] = c;
    }
    const next = this.nextBuf;
    const bits = p.bits;
    for (let i = 0; i < bits; i++) next[i] = sensor[i] as number;
    for (let i = 0; i < k; i++) next[bits + i] = this.neuronBase + (top[i] as number);
    this.nextBuf = prev;
    this.prevBuf = next;
    this.prevLen = bits + k;
    this.prevHash = hashFacts(next, bits + k);

    if (!candidates) return (1 - predicted) / 2;
    let added = 0;
    for (const key of candidates) {
      const lm = Math.floor(key / RIGHT_SPAN);
      const rm = key - lm * RIGHT_SPAN;
      const l = this.leftSemi(this.pickBuf, this.pick(prev, lm));
      let rmask = 0;
      for (let b = 0; b < bits; b++) if ((rm >>> b) & 1) rmask |= 1 << (sensor[b] as number);
      if (this.context(l, this.rightSemi(rmask), false) >= 0) added++;
    }
    const learnt = (added + 1) / uniqueSize;
    return (1 - predicted + learnt) / 2;
  }

  /** The entries of `facts` at the positions set in `mask` (bit i = position i) into pickBuf; returns how many. */
  private pick(facts: Int32Array, mask: number): number {
    const high = Math.floor(mask / 2 ** 30);
    const low = mask - high * 2 ** 30;
    let n = 0;
    for (let m = low; m !== 0; m &= m - 1) this.pickBuf[n++] = facts[31 - Math.clz32(m & -m)] as number;
    for (let m = high; m !== 0; m &= m - 1) this.pickBuf[n++] = facts[61 - Math.clz32(m & -m)] as number;
    return n;
  }

  /**
   * Stores the step pair (prev, sensor) as a context seen whole and returns the candidate new contexts as
   * leftMask · RIGHT_SPAN + rightMask (positions in prev and in sensor), in the order they are first met:
   * left sides by the first fact of prev they hold, then by age; per left side its contexts seen whole.
   * Expects prev marked.
   */
  private seeds(prev: Int32Array, pl: number, sm: number): number[] {
    const maxLeft = this.params.maxLeft;
    if (this.overlap.length < this.leftSemis.length) {
      const size = Math.max(this.leftSemis.length, this.overlap.length * 2);
      this.overlap = new Int32Array(size);
      this.sharedLow = new Int32Array(size);
      this.sharedHigh = new Int32Array(size);
    }
    const overlap = this.overlap;
    const low = this.sharedLow;
    const high = this.sharedHigh;
    const touched = this.touched;
    touched.length = 0;
    // Per left side: how many facts of prev it holds and at which positions (30 per word: prev holds up
    // to 8 + 32 facts).
    for (let i = 0; i < pl; i++) {
      const ids = this.seedIndex[prev[i] as number];
      if (!ids) continue;
      const bit = 1 << (i < 30 ? i : i - 30);
      const words = i < 30 ? low : high;
      for (const id of ids) {
        const had = overlap[id] as number;
        overlap[id] = had + 1;
        words[id] = (words[id] as number) | bit;
        if (had === 0) touched.push(id);
      }
    }
    const newId = this.context(this.leftSemi(prev, pl), this.rightSemi(sm), true);
    const candidates: number[] = [];
    // The step pair itself (every position of both) counts among the unique candidates.
    this.keyEpoch++;
    this.keyCount = 0;
    this.addKey((2 ** pl - 1) * RIGHT_SPAN + (2 ** this.params.bits - 1));
    const positionsOf = this.sensorPositions;
    for (const l of touched) {
      const have = overlap[l] as number;
      const leftMask = (high[l] as number) * 2 ** 30 + (low[l] as number);
      overlap[l] = 0;
      low[l] = 0;
      high[l] = 0;
      // Too long a left side does not seed new contexts.
      if (have > maxLeft) continue;
      const full = have === (this.leftSemis[l] as number[]).length;
      for (const c of this.wholeOf[l] as number[]) {
        if (c === newId) continue;
        const rmask = this.rightMaskOf[this.ctxRight[c] as number] as number;
        const shared = rmask & sm;
        if (shared === 0 || (full && shared === rmask)) continue;
        // A partial match of a context once seen whole: its shared part may be a pattern of its own.
        const key = leftMask * RIGHT_SPAN + (positionsOf[shared] as number);
        if (this.addKey(key)) candidates.push(key);
      }
    }
    return candidates;
  }

  /**
   * Adds a candidate key (an integer below 2^53) to this step's set (open addressing, cleared by a new
   * epoch); returns whether it was new.
   */
  private addKey(key: number): boolean {
    const keys = this.keySlots;
    const epochs = this.keyEpochs;
    const epoch = this.keyEpoch;
    const shift = this.keyShift;
    let at = Math.imul((key | 0) ^ Math.floor(key / 4294967296), 0x9e3779b1) >>> shift;
    const mask = keys.length - 1;
    while (epochs[at] === epoch) {
      if (keys[at] === key) return false;
      at = (at + 1) & mask;
    }
    epochs[at] = epoch;
    keys[at] = key;
    if (++this.keyCount * 2 > keys.length) this.growKeys();
    return true;
  }

  private growKeys(): void {
    const oldKeys = this.keySlots;
    const oldEpochs = this.keyEpochs;
    const epoch = this.keyEpoch;
    this.keySlots = new Float64Array(oldKeys.length * 2);
    this.keyEpochs = new Int32Array(oldKeys.length * 2);
    this.keyShift--;
    this.keyCount = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldEpochs[i] === epoch) this.addKey(oldKeys[i] as number);
  }

  toJSON(): DetectorJSON {
    const state: ContextualState = {
      n: this.n,
      warm: this.warm.slice(),
      lo: this.lo,
      hi: this.hi,
      prevLeft: Array.from(this.prevBuf.subarray(0, this.prevLen)),
      sinceAlert: this.sinceAlert,
      leftSemis: this.leftSemis.map((f) => f.slice()),
      rightSemis: this.rightSemis.map((f) => f.slice()),
      contexts: Array.from(
        { length: this.ctxN },
        (_, i) =>
          [
            this.ctxLeft[i] as number,
            this.ctxRight[i] as number,
            this.ctxCount[i] as number,
            this.ctxWhole[i] as number,
          ] as [number, number, number, number],
      ),
    };
    if (this.bound > 0)
      state.idle = Array.from({ length: this.ctxN }, (_, i) => this.steps - (this.used[i] as number));
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
    d.sinceAlert = s.sinceAlert;
    d.steps = s.n >= d.params.rangePoints ? s.n : 0;
    const base = d.neuronBase;
    const sorted = (f: unknown, top: number) =>
      Array.isArray(f) &&
      f.length > 0 &&
      f.every((x, i) => Number.isInteger(x) && x >= 0 && x < top && (i === 0 || x > (f[i - 1] as number)));
    const prev = s.prevLeft;
    if (!(Array.isArray(prev) && (prev.length === 0 || sorted(prev, Number.MAX_SAFE_INTEGER))))
      throw new RangeError('state.prevLeft must be an ascending array of fact numbers');
    if (prev.length > d.prevBuf.length) {
      d.prevBuf = new Int32Array(prev.length);
      d.nextBuf = new Int32Array(Math.max(prev.length, d.nextBuf.length));
    }
    d.prevBuf.set(prev);
    d.prevLen = prev.length;
    d.prevHash = hashFacts(prev, prev.length);
    for (const f of s.leftSemis) {
      if (!sorted(f, Number.MAX_SAFE_INTEGER))
        throw new RangeError('state.leftSemis must hold non-empty ascending arrays of fact numbers');
      const id = d.leftSemis.length;
      if (d.leftSemi(f, f.length) !== id)
        throw new RangeError('state.leftSemis must not repeat a semi-context');
    }
    for (const f of s.rightSemis) {
      if (!sorted(f, base))
        throw new RangeError(
          `state.rightSemis must hold non-empty ascending arrays of sensor facts (< ${base})`,
        );
      const id = d.rightSemis.length;
      if (d.rightSemi(sensorMask(f)) !== id)
        throw new RangeError('state.rightSemis must not repeat a semi-context');
    }
    for (const [l, r, count, whole] of s.contexts) {
      if (
        !(
          Number.isInteger(l) &&
          l >= 0 &&
          l < d.leftSemis.length &&
          Number.isInteger(r) &&
          r >= 0 &&
          r < d.rightSemis.length
        )
      )
        throw new RangeError('state.contexts must refer to existing semi-contexts');
      if (!(Number.isInteger(count) && count >= 0 && count <= 0x7fffffff))
        throw new RangeError('state.contexts counts must be integers in [0, 2^31 - 1]');
      const id = d.context(l, r, whole === 1);
      if (id < 0) throw new RangeError('state.contexts must not repeat a (left, right) pair');
      d.ctxCount[id] = count;
    }
    if (d.bound > 0) {
      // A state saved without recency (or unbounded) counts every context as used now.
      const idle = s.idle ?? [];
      if (!Array.isArray(idle) || (idle.length !== 0 && idle.length !== d.ctxN))
        throw new RangeError('state.idle must hold one entry per context');
      for (let i = 0; i < d.ctxN; i++) {
        const v = idle[i] ?? 0;
        if (!(Number.isInteger(v) && v >= 0)) throw new RangeError('state.idle must hold integers >= 0');
        d.used[i] = d.steps - v;
      }
      if (d.ctxN > d.bound) d.forget();
    }
    return d;
  }
}
