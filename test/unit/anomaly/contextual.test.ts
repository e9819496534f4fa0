/**
 * The contextual (CAD-style) pattern memory: hand-computed steps, learnt sequences, the rest period,
 * exact resumption from JSON and parameter checks; and its place in the default ensemble.
 */
import { describe, expect, it } from 'vitest';
import {
  ContextualDetector,
  createDetector,
  DETECTOR_PRESETS,
  restoreDetector,
} from '../../../src/core/analytics/anomaly/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

const T0 = Date.UTC(2024, 0, 1);
const run = (d: { update(t: number, v: number): number }, xs: readonly number[], from = 0) =>
  xs.map((x, i) => d.update(T0 + (from + i) * 60_000, x));

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

describe('ContextualDetector against the plain algorithm', () => {
  it('gives the same scores as walking the whole memory at every step', () => {
    // Prepare: a noisy series with a drift and a new pattern, so that the memory keeps learning
    const rng = mulberry32(5);
    const xs = Array.from(
      { length: 700 },
      (_, i) => Math.sin(i / 5) * 3 + normal(rng, 0, 0.8) + (i > 500 ? 2 : 0),
    );
    const d = new ContextualDetector({ rangePoints: 100, restPeriod: 0 });
    const plain = new PlainMemory();
    // Act
    const got = run(d, xs);
    const state = d.toJSON().state as { lo: number; hi: number };
    const level = (v: number) =>
      Math.min(7, Math.max(0, Math.floor(((v - state.lo) / (state.hi - state.lo)) * 8)));
    const expected = xs.map((v) => {
      const q = level(v);
      return plain.step([0, 1, 2].map((b) => 2 * b + ((q >> b) & 1)));
    });
    // Assess: the warm-up points are learnt silently, then every score matches
    expect(got.slice(100)).toEqual(expected.slice(100));
    expect(d.contextCount).toBe(plain.contexts.length);
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
      // Prepare
      const whole = new ContextualDetector();
      const first = new ContextualDetector();
      // Act
      const expected = run(whole, xs);
      const head = run(first, xs.slice(0, cut));
      const restored = restoreDetector(JSON.parse(JSON.stringify(first.toJSON())));
      const tail = run(restored, xs.slice(cut), cut);
      // Assess
      expect(head.concat(tail)).toEqual(expected);
      expect(JSON.stringify(restored.toJSON())).toBe(JSON.stringify(whole.toJSON()));
    });
  }

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
