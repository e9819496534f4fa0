/**
 * The contextual (CAD-style) pattern memory: hand-computed steps, learnt sequences, the rest period,
 * exact agreement with the plain algorithm, exact resumption from JSON (also from the format written before
 * the indexed memory), the bounded memory, and parameter checks; and its place in the ensemble.
 */
import { describe, expect, it } from 'vitest';
import {
  ContextualDetector,
  type ContextualParams,
  createDetector,
  DETECTOR_PRESETS,
  restoreDetector,
} from '../../../src/core/analytics/anomaly/index.ts';
import type { DetectorJSON } from '../../../src/core/analytics/anomaly/types.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

const T0 = Date.UTC(2024, 0, 1);

/**
 * Written by the implementation before the indexed memory (commit b4dd41a) for
 * {bits: 3, maxLeft: 3, maxActive: 2, rangePoints: 10, restPeriod: 0} after the first 40 points of
 * ((i * 37) % 11) + (i % 3) * 0.5, and the scores it gave for points 40 to 59.
 */
const OLD_FORMAT_STATE =
  '{"kind":"contextual","params":{"bits":3,"maxLeft":3,"maxActive":2,"rangePoints":10,"rangeMargin":1,"rangeMode":"fixed","restPeriod":0,"alertLevel":0.75},"state":{"n":40,"warm":[],"lo":-11,"hi":22,"prevLeft":[1,3,4,17,18],"sinceAlert":12,"leftSemis":[[0,3,4],[1,3,4],[0,2,5],[0],[3,4],[1,2,5],[2,5],[0,2,5,7,12],[1,2,5,13,14],[1,3,4,16,18],[0,3,4,8,17],[1,3,4,9,14],[1],[1,14],[1,2,5,14,18],[1,3,4,17,18],[0,3,4,9,17],[3,4,9],[0,2,5,11,15],[3,4,17],[0,2,5,11,12]],"rightSemis":[[1,3,4],[0,2,5],[0,3,4],[3,4],[0],[1,2,5],[1],[2,5]],"contexts":[[0,0,3,1],[1,1,11,1],[2,2,4,1],[3,3,11,0],[0,1,1,1],[3,4,6,0],[4,1,12,0],[2,5,4,1],[3,6,11,0],[3,7,6,0],[5,0,4,1],[6,3,12,0],[6,6,12,0],[7,5,2,1],[8,0,0,1],[9,1,0,1],[7,2,3,1],[10,0,0,1],[11,1,5,1],[7,0,2,1],[3,0,5,0],[2,3,6,0],[2,6,6,0],[6,0,6,0],[11,0,0,1],[12,0,3,0],[13,0,3,0],[4,0,2,0],[14,0,2,1],[15,1,1,1],[16,0,1,1],[17,0,1,0],[7,1,0,1],[3,1,1,0],[2,4,2,0],[2,7,2,0],[18,0,0,1],[2,0,0,0],[16,1,0,1],[17,1,0,0],[19,1,0,0],[20,5,0,1]]}}';
const OLD_FORMAT_TAIL = [
  0.16666666666666669, 0.325, 0, 0.16666666666666669, 0.325, 0.26666666666666666, 0.2777777777777778, 0.25,
  0.6666666666666667, 0.4666666666666667, 0.25, 0.3, 0.325, 0, 0.3, 0.325, 0.25, 0.3, 0.25, 0.3,
];
const run = (d: { update(t: number, v: number): number }, xs: readonly number[], from = 0) =>
  xs.map((x, i) => d.update(T0 + (from + i) * 60_000, x));

/** A detector stopped after `cut` points, serialised and restored, continues exactly as one that never stopped. */
function expectExactResume(params: Partial<ContextualParams>, xs: readonly number[], cut: number): void {
  // Prepare
  const whole = new ContextualDetector(params);
  const first = new ContextualDetector(params);
  // Act
  const expected = run(whole, xs);
  const head = run(first, xs.slice(0, cut));
  const restored = restoreDetector(JSON.parse(JSON.stringify(first.toJSON())));
  const tail = run(restored, xs.slice(cut), cut);
  // Assess
  expect(head.concat(tail)).toEqual(expected);
  expect(JSON.stringify(restored.toJSON())).toBe(JSON.stringify(whole.toJSON()));
}

/** A repeating sequence of eight levels with a little noise (never enough to change a level). */
function sawtooth(n: number, seed = 3): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => (i % 8) + 0.5 + normal(rng, 0, 0.05));
}

describe('ContextualDetector steps', () => {
  it('scores a two-level alternation as computed by hand', () => {
    // Prepare: one bit (facts {0} and {1}), the range fixed by the first two values, no rest.
    const d = new ContextualDetector({ bits: 1, rangePoints: 2, rangeMargin: 0, restPeriod: 0 });
    // Act
    const scores = run(d, [0, 1, 0, 1, 0]);
    // Assess: warm-up 0, 0; then ({1},{0}) is a new pair (nothing predicted, all learnt: (1-0+1)/2 = 1);
    // ({0},{1}) was learnt in the warm-up and predicts the step exactly ((1-1+0)/2 = 0); the next left side
    // holds the fired context as a fact, so the pair is new although its prediction came true: (1-1+1)/2.
    expect(scores).toEqual([0, 0, 1, 0, 0.5]);
    expect(d.contextCount).toBe(3);
  });

  it('learns a repeating sequence and flags a step out of it', () => {
    // Prepare
    const d = new ContextualDetector({ restPeriod: 0 });
    const xs = sawtooth(1200);
    // Act: the sequence, then a level out of turn (inside the usual range), then the sequence again
    const learnt = run(d, xs);
    const odd = d.update(T0 + 1200 * 60_000, 3.5); // after level 7 the sequence goes to 0
    // Assess
    const late = learnt.slice(1000);
    expect(Math.max(...late)).toBeLessThan(0.2);
    expect(odd).toBeGreaterThanOrEqual(0.5);
  });

  it('scores 0 until the range is known, then from the first value after it', () => {
    // Prepare
    const d = new ContextualDetector({ rangePoints: 50, restPeriod: 0 });
    // Act
    const scores = run(d, sawtooth(60));
    // Assess
    expect(scores.slice(0, 50).every((s) => s === 0)).toBe(true);
    expect(scores.slice(50).some((s) => s > 0)).toBe(true);
  });

  it('holds its output at 0 for restPeriod points after a raw score at or above alertLevel', () => {
    // Prepare: twin detectors, with and without a rest
    const free = new ContextualDetector({ restPeriod: 0 });
    const rested = new ContextualDetector({ restPeriod: 5, alertLevel: 0.75 });
    const xs = sawtooth(800).concat([3.5, 3.5, 7.5, 0.5, 1.5, 2.5, 3.5, 4.5]);
    // Act
    const raw = run(free, xs);
    const out = run(rested, xs);
    // Assess: identical until the first alert, then 5 zeros, then the raw score again (no alert in between
    // restarts the count, since an alert inside a rest is still an alert)
    const first = raw.findIndex((s, i) => i >= 300 && s >= 0.75);
    expect(first).toBeGreaterThanOrEqual(800);
    expect(out.slice(0, first + 1)).toEqual(raw.slice(0, first + 1));
    let since = 0;
    for (let i = first + 1; i < xs.length; i++) {
      expect(out[i]).toBe(since >= 5 ? raw[i] : 0);
      since = (raw[i] as number) >= 0.75 ? 0 : since + 1;
    }
  });

  it('clips values beyond a fixed range and widens an expanding one', () => {
    // Prepare
    const fixed = new ContextualDetector({ rangePoints: 10, rangeMargin: 0, rangeMode: 'fixed' });
    const wide = new ContextualDetector({ rangePoints: 10, rangeMargin: 0, rangeMode: 'expand' });
    const xs = Array.from({ length: 10 }, (_, i) => i);
    // Act
    run(fixed, [...xs, 100]);
    run(wide, [...xs, 100]);
    // Assess
    const f = fixed.toJSON().state as { lo: number; hi: number };
    const w = wide.toJSON().state as { lo: number; hi: number };
    expect([f.lo, f.hi]).toEqual([0, 9]);
    expect([w.lo, w.hi]).toEqual([0, 100]);
  });

  it('is causal: a prefix scores the same whatever follows it', () => {
    // Prepare
    const xs = sawtooth(700);
    const ys = xs.slice(0, 400).concat(xs.slice(400).map((x) => x * 10));
    // Act
    const a = run(new ContextualDetector(), xs).slice(0, 400);
    const b = run(new ContextualDetector(), ys).slice(0, 400);
    // Assess
    expect(b).toEqual(a);
  });
});

/**
 * The algorithm written plainly, walking the whole memory at every step (as the reference does): the
 * detector's indexed shortcuts must give the same scores. Same choices as the detector: facts per bit,
 * ties to the older context, new contexts created in the order the left sides are first met.
 */
class PlainMemory {
  readonly lefts: number[][] = [];
  readonly rights: number[][] = [];
  /** [left id, right id, count, seen whole] */
  readonly contexts: [number, number, number, boolean][] = [];
  prev: number[] = [];
  constructor(
    private readonly maxLeft = 7,
    private readonly maxActive = 15,
    private readonly base = 6,
  ) {}

  private id(list: number[][], facts: number[]): number {
    const k = facts.join(',');
    const at = list.findIndex((f) => f.join(',') === k);
    if (at >= 0) return at;
    list.push(facts);
    return list.length - 1;
  }

  /** Returns the context id, or -1 - id if it existed. */
  private context(l: number[], r: number[], whole: boolean): number {
    const li = this.id(this.lefts, l);
    const ri = this.id(this.rights, r);
    const at = this.contexts.findIndex(([a, b]) => a === li && b === ri);
    if (at >= 0) return -1 - at;
    this.contexts.push([li, ri, 0, whole]);
    return this.contexts.length - 1;
  }

  step(sensor: number[]): number {
    const prev = this.prev;
    // Left sides met by prev, in the order its facts first meet them (the memory as it was before the step).
    const order: number[] = [];
    for (const f of prev)
      this.lefts.forEach((facts, l) => {
        if (facts.includes(f) && !order.includes(l)) order.push(l);
      });
    let newId = -1;
    if (prev.length > 0) {
      const c = this.context(prev, sensor, true);
      if (c >= 0) newId = c;
      else (this.contexts[-1 - c] as [number, number, number, boolean])[3] = true;
    }
    let selected = 0;
    const active: number[] = [];
    const keys = new Set<string>([`${prev.join(',')}|${sensor.join(',')}`]);
    const candidates: [number[], number[]][] = [];
    for (const l of order) {
      const lf = this.lefts[l] as number[];
      const shared = lf.filter((f) => prev.includes(f));
      const full = shared.length === lf.length;
      this.contexts.forEach((ctx, c) => {
        if (ctx[0] !== l || c === newId) return;
        const rf = this.rights[ctx[1]] as number[];
        const rs = rf.filter((f) => sensor.includes(f));
        if (full) selected++;
        if (rs.length === 0) return;
        if (full && rs.length === rf.length) {
          ctx[2]++;
          active.push(c);
        } else if (newId >= 0 && ctx[3] && shared.length <= this.maxLeft) {
          const k = `${shared.join(',')}|${rs.join(',')}`;
          if (!keys.has(k)) {
            keys.add(k);
            candidates.push([shared, rs]);
          }
        }
      });
    }
    const predicted = selected > 0 ? active.length / selected : 0;
    active.sort((a, b) => (this.contexts[b]?.[2] ?? 0) - (this.contexts[a]?.[2] ?? 0) || a - b);
    this.prev = [...sensor, ...active.slice(0, this.maxActive).map((c) => this.base + c)].sort(
      (a, b) => a - b,
    );
    if (newId < 0) return (1 - predicted) / 2;
    let added = 1;
    for (const [l, r] of candidates) if (this.context(l, r, false) >= 0) added++;
    return (1 - predicted + added / keys.size) / 2;
  }
}

/** Scores of the plain algorithm on `xs`, quantised with the detector's fixed range. */
function plainScores(
  d: ContextualDetector,
  xs: readonly number[],
  bits: number,
  maxLeft: number,
  maxActive: number,
): { scores: number[]; plain: PlainMemory } {
  const state = d.toJSON().state as { lo: number; hi: number };
  const levels = 2 ** bits;
  const level = (v: number) =>
    Math.min(levels - 1, Math.max(0, Math.floor(((v - state.lo) / (state.hi - state.lo)) * levels)));
  const plain = new PlainMemory(maxLeft, maxActive, 2 * bits);
  const scores = xs.map((v) => {
    const q = level(v);
    return plain.step(Array.from({ length: bits }, (_, b) => 2 * b + ((q >> b) & 1)));
  });
  return { scores, plain };
}

describe('ContextualDetector against the plain algorithm', () => {
  it('gives the same scores as walking the whole memory at every step', () => {
    // Prepare: a noisy series with a drift and a new pattern, so that the memory keeps learning
    const rng = mulberry32(5);
    const xs = Array.from(
      { length: 700 },
      (_, i) => Math.sin(i / 5) * 3 + normal(rng, 0, 0.8) + (i > 500 ? 2 : 0),
    );
    const d = new ContextualDetector({ rangePoints: 100, restPeriod: 0 });
    // Act
    const got = run(d, xs);
    const { scores: expected, plain } = plainScores(d, xs, 3, 7, 15);
    // Assess: the warm-up points are learnt silently, then every score matches
    expect(got.slice(100)).toEqual(expected.slice(100));
    expect(d.contextCount).toBe(plain.contexts.length);
  });

  it('matches it with other widths: 2 bits, short left sides, 4 contexts carried forward', () => {
    // Prepare: white noise over the whole range meets new pairs often (the indexed search for seeds)
    const rng = mulberry32(9);
    const xs = Array.from({ length: 600 }, () => normal(rng, 0, 1));
    const params = { bits: 2, maxLeft: 3, maxActive: 4, rangePoints: 60, restPeriod: 0 };
    const d = new ContextualDetector(params);
    // Act
    const got = run(d, xs);
    const { scores: expected, plain } = plainScores(d, xs, 2, 3, 4);
    // Assess
    expect(got.slice(60)).toEqual(expected.slice(60));
    expect(d.contextCount).toBe(plain.contexts.length);
    const counts = (d.toJSON().state as { contexts: number[][] }).contexts.map((c) => c[2]);
    expect(counts).toEqual(plain.contexts.map((c) => c[2]));
  });
});

describe('ContextualDetector state', () => {
  const rng = mulberry32(11);
  const xs = Array.from(
    { length: 900 },
    (_, i) => Math.sin(i / 7) * 5 + normal(rng, 0, 1) + (i > 700 ? 6 : 0),
  );

  for (const cut of [0, 120, 300, 301, 650]) {
    it(`resumes exactly from JSON cut after ${cut} points`, () => {
      expectExactResume({}, xs, cut);
    });
  }

  it('continues a state written before the indexed memory exactly, with the default bound', () => {
    // Prepare: a state written by the earlier implementation (string-keyed memory, no maxContexts, no idle)
    // after 40 points, and the scores it gave for the next 20
    const xs = Array.from({ length: 60 }, (_, i) => ((i * 37) % 11) + (i % 3) * 0.5);
    const old = JSON.parse(OLD_FORMAT_STATE) as DetectorJSON;
    // Act
    const restored = restoreDetector(old);
    const tail = run(restored, xs.slice(40), 40);
    const fresh = new ContextualDetector({ ...old.params, maxContexts: 0 });
    run(fresh, xs.slice(0, 40));
    // Assess: the same scores, the same memory as a detector that saw all 40 points, and the default bound
    expect(tail).toEqual(OLD_FORMAT_TAIL);
    expect(restored.toJSON().params).toMatchObject({ maxContexts: 10_000 });
    const { params: _p, ...state } = fresh.toJSON();
    expect(JSON.stringify(state)).toBe(JSON.stringify({ kind: old.kind, state: old.state }));
  });

  it('rejects a state that refers to missing semi-contexts', () => {
    // Prepare
    const d = new ContextualDetector();
    run(d, xs.slice(0, 400));
    const json = d.toJSON();
    const state = json.state as { contexts: number[][] };
    state.contexts.push([10_000, 0, 0, 0]);
    // Act / Assess
    expect(() => ContextualDetector.fromJSON(json)).toThrow(/state.contexts/);
  });
});

describe('ContextualDetector bounded memory', () => {
  const rng = mulberry32(21);
  const noise = Array.from({ length: 3000 }, () => normal(rng, 0, 1));

  it('never holds more than maxContexts, and forgets down to 90 % of it', () => {
    // Prepare
    const d = new ContextualDetector({ maxContexts: 400, restPeriod: 0 });
    // Act / Assess: after every point
    let least = Number.POSITIVE_INFINITY;
    let before = 0;
    for (let i = 0; i < noise.length; i++) {
      const score = d.update(T0 + i * 60_000, noise[i] as number);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
      expect(d.contextCount).toBeLessThanOrEqual(400);
      if (d.contextCount < before) least = Math.min(least, d.contextCount);
      before = d.contextCount;
    }
    expect(least).toBeLessThanOrEqual(360);
    // Every left side still refers to remembered contexts only
    const s = d.toJSON().state as { leftSemis: number[][]; contexts: number[][]; idle: number[] };
    const top = 6 + s.contexts.length;
    expect(s.leftSemis.every((f) => f.every((x) => x < top))).toBe(true);
    expect(s.idle).toHaveLength(s.contexts.length);
  });

  it('gives the unbounded scores while the bound is not reached', () => {
    // Prepare
    const xs = noise.slice(0, 1500);
    // Act
    const free = run(new ContextualDetector({ maxContexts: 0 }), xs);
    const roomy = new ContextualDetector({ maxContexts: 50_000 });
    const bounded = run(roomy, xs);
    // Assess
    expect(roomy.contextCount).toBeLessThan(50_000);
    expect(bounded).toEqual(free);
  });

  it('forgets the least recently used contexts and those whose left side holds one, keeping the order', () => {
    // Prepare: bits 1 (sensor facts 0 and 1, context c is fact 2 + c). c2's left side holds c0; c3's holds c1.
    // Idle steps: c0 50, c1 0, c2 1, c3 2, c4 3. A bound of 4 keeps the 3 most recent: c1, c2, c3; c2 then
    // goes with c0. The survivors c1, c3 become 0, 1, and c3's left side [1, 3] becomes [1, 2].
    const json: DetectorJSON = {
      kind: 'contextual',
      params: { bits: 1, rangePoints: 2, restPeriod: 0, maxContexts: 4 },
      state: {
        n: 100,
        warm: [],
        lo: 0,
        hi: 1,
        prevLeft: [0, 2, 3],
        sinceAlert: 0,
        leftSemis: [[0], [1], [0, 2], [1, 3]],
        rightSemis: [[0], [1]],
        contexts: [
          [0, 1, 5, 1],
          [1, 0, 6, 1],
          [2, 1, 7, 1],
          [3, 0, 8, 1],
          [1, 1, 9, 0],
        ],
        idle: [50, 0, 1, 2, 3],
      },
    };
    // Act
    const d = ContextualDetector.fromJSON(json);
    // Assess
    expect(d.toJSON().state).toMatchObject({
      prevLeft: [0, 2],
      leftSemis: [[1], [1, 2]],
      rightSemis: [[0]],
      contexts: [
        [0, 0, 6, 1],
        [1, 0, 8, 1],
      ],
      idle: [0, 2],
    });
  });

  for (const cut of [700, 1900]) {
    it(`resumes exactly from JSON after ${cut} points with a bound that is reached`, () => {
      expectExactResume({ maxContexts: 300, restPeriod: 0 }, noise.slice(0, 2400), cut);
    });
  }

  it('forgets at once when a restored state holds more than the bound, newest kept first', () => {
    // Prepare: the earlier format's 42 contexts, restored under a bound of 20 (no idle: all count as used now)
    const old = JSON.parse(OLD_FORMAT_STATE) as DetectorJSON;
    const json = { ...old, params: { ...old.params, maxContexts: 20 } };
    // Act
    const d = ContextualDetector.fromJSON(json);
    const scores = run(d, [3, 7, 1, 9, 4], 40);
    // Assess: 90 % of the bound at most, and it goes on scoring
    const s = d.toJSON().state as { contexts: number[][]; idle: number[] };
    expect(s.contexts.length).toBeLessThanOrEqual(20);
    expect(scores.every((x) => x >= 0 && x <= 1)).toBe(true);
  });

  it('rejects an idle list that does not match the contexts', () => {
    // Prepare
    const d = new ContextualDetector({ maxContexts: 1000 });
    run(d, noise.slice(0, 400));
    const json = d.toJSON();
    (json.state as { idle: number[] }).idle.pop();
    // Act / Assess
    expect(() => ContextualDetector.fromJSON(json)).toThrow(/state.idle must hold one entry per context/);
  });
});

describe('ContextualDetector parameters', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ bits: 0 }, /bits/],
    [{ bits: 9 }, /bits must be an integer in \[1, 8\]/],
    [{ maxLeft: 0 }, /maxLeft/],
    [{ maxActive: 1.5 }, /maxActive/],
    [{ maxActive: 33 }, /maxActive must be an integer in \[1, 32\]/],
    [{ rangePoints: 1 }, /rangePoints/],
    [{ rangeMargin: -0.1 }, /rangeMargin/],
    [{ rangeMode: 'grow' }, /rangeMode must be 'expand' or 'fixed'/],
    [{ restPeriod: -1 }, /restPeriod must be an integer >= 0/],
    [{ alertLevel: 0 }, /alertLevel/],
    [{ alertLevel: 1.5 }, /alertLevel/],
    [{ maxContexts: -1 }, /maxContexts must be an integer >= 0/],
    [{ maxContexts: 2.5 }, /maxContexts must be an integer >= 0/],
  ];
  for (const [params, message] of bad) {
    it(`rejects ${JSON.stringify(params)} naming the field`, () => {
      expect(() => new ContextualDetector(params)).toThrow(message);
    });
  }

  it('rejects a non-finite value naming it', () => {
    expect(() => new ContextualDetector().update(T0, Number.NaN)).toThrow(/value must be a finite number/);
  });
});

describe('ensemble with the contextual member', () => {
  it('is the default ensemble plus the contextual member', () => {
    // Prepare
    const now = DETECTOR_PRESETS.ensembleContextual;
    const before = DETECTOR_PRESETS.ensemble;
    // Assess
    expect(before?.members).toEqual(['robustLik', 'cusumLik', 'seasonalGate']);
    expect(now?.params).toEqual(before?.params);
    expect(now?.members?.slice(0, 3)).toEqual(before?.members);
    expect(now?.members?.[3]).toBe('contextualLik');
  });

  it('flags a step out of turn inside the usual range, and resumes exactly from JSON', () => {
    // Prepare
    const xs = sawtooth(1200);
    xs.push(3.5, ...sawtooth(40));
    const whole = createDetector('ensembleContextual');
    const first = createDetector('ensembleContextual');
    // Act
    const expected = run(whole, xs);
    const head = run(first, xs.slice(0, 1100));
    const restored = restoreDetector(JSON.parse(JSON.stringify(first.toJSON())));
    const tail = run(restored, xs.slice(1100), 1100);
    // Assess
    expect(Math.max(...expected.slice(1200, 1205))).toBeGreaterThan(0.5);
    expect(head.concat(tail)).toEqual(expected);
  });
});
