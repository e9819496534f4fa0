/**
 * Search spaces for the optimiser: float (linear or log), integer (linear or log, optional step),
 * categorical, and conditional parameters (active only when a parent parameter has one of given values).
 *
 * The space is declared up front (define-and-run) rather than discovered while the objective runs
 * (Optuna's define-by-run): an ask/tell study driven by Step Functions hands the objective a finished
 * set of parameters, so the space must be known at ask time and must serialise with the study.
 *
 * Samplers work on an internal numeric view: float/int → the value (its natural log when `log`),
 * categorical → the index of the choice. `toInternal`/`fromInternal` convert.
 */

/** A categorical choice: kept to JSON scalars so a study serialises losslessly. */
export type Choice = string | number | boolean;

/** Makes a parameter active only when `parent` currently has one of `values`. */
export interface Condition {
  readonly parent: string;
  readonly values: readonly Choice[];
}

export interface FloatParam {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  /** Sample on a log scale (low must be > 0). @default false */
  readonly log?: boolean;
  /** Discretise to low + k·step (not with log). */
  readonly step?: number;
  readonly when?: Condition;
}

export interface IntParam {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  /** @default false */
  readonly log?: boolean;
  /** @default 1 */
  readonly step?: number;
  readonly when?: Condition;
}

export interface CategoricalParam {
  readonly type: 'categorical';
  readonly choices: readonly Choice[];
  readonly when?: Condition;
}

export type ParamSpec = FloatParam | IntParam | CategoricalParam;

/** The declaration a user writes: parameter name → spec, parents before children. */
export type SpaceSpec = Readonly<Record<string, ParamSpec>>;

/** A parameter value as the objective sees it. */
export type ParamValue = number | Choice;
/** Active parameters of one trial (inactive conditional ones are absent). */
export type Params = Record<string, ParamValue>;

/** One validated parameter with the bounds of its internal numeric view. */
export interface Dimension {
  readonly name: string;
  readonly spec: ParamSpec;
  /** Internal lower/upper bound (log applied; categorical: 0 and choices-1). */
  readonly low: number;
  readonly high: number;
  readonly categorical: boolean;
  /** Internal grid for discrete numeric params (int, or float with step), else 0. */
  readonly step: number;
}

/** Raised for a malformed space or parameter value; the message names the parameter and the rule. */
export class SpaceError extends Error {
  override readonly name = 'SpaceError';
}

/** A validated search space. */
export class SearchSpace {
  readonly dims: readonly Dimension[];
  readonly spec: SpaceSpec;
  private readonly byName: Map<string, Dimension>;

  /**
   * Validates `spec` and builds the space.
   *
   * @example
   * const space = new SearchSpace({
   *   lr: { type: 'float', low: 1e-5, high: 1e-1, log: true },
   *   model: { type: 'categorical', choices: ['linear', 'tree'] },
   *   depth: { type: 'int', low: 1, high: 8, when: { parent: 'model', values: ['tree'] } },
   * });
   */
  constructor(spec: SpaceSpec) {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new SpaceError('space: must be an object of parameter name → spec');
    }
    const names = Object.keys(spec);
    if (names.length === 0) throw new SpaceError('space: must declare at least one parameter');
    const dims: Dimension[] = [];
    const seen = new Map<string, Dimension>();
    for (const name of names) {
      const p = spec[name] as ParamSpec;
      const d = validateParam(name, p, seen);
      dims.push(d);
      seen.set(name, d);
    }
    this.dims = dims;
    this.spec = spec;
    this.byName = seen;
  }

  /** The dimension called `name`, or an error naming it. */
  dim(name: string): Dimension {
    const d = this.byName.get(name);
    if (!d) throw new SpaceError(`${name}: not a parameter of this space`);
    return d;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Whether a dimension is active given the already-chosen values of its ancestors. */
  isActive(d: Dimension, params: Params): boolean {
    const w = d.spec.when;
    if (!w) return true;
    if (!(w.parent in params)) return false;
    return w.values.includes(params[w.parent] as Choice);
  }

  /** True when no parameter is conditional (every trial has every parameter). */
  get flat(): boolean {
    return this.dims.every((d) => !d.spec.when);
  }

  /**
   * Builds user-facing params from internal values (absent key = let `fill` choose), dropping inactive
   * conditional parameters. Values are clipped and snapped to the parameter's grid.
   */
  build(internal: Readonly<Record<string, number>>, fill: (d: Dimension) => number): Params {
    const out: Params = {};
    for (const d of this.dims) {
      if (!this.isActive(d, out)) continue;
      const v = internal[d.name];
      out[d.name] = this.fromInternal(d, v === undefined || !Number.isFinite(v) ? fill(d) : v);
    }
    return out;
  }

  /** Internal numeric value of a user-facing value. */
  toInternal(d: Dimension, v: ParamValue): number {
    if (d.categorical) return (d.spec as CategoricalParam).choices.indexOf(v as Choice);
    const x = v as number;
    return (d.spec as FloatParam | IntParam).log ? Math.log(x) : x;
  }

  /** User-facing value from an internal one (clipped to bounds, snapped to the grid). */
  fromInternal(d: Dimension, x: number): ParamValue {
    if (d.categorical) {
      const choices = (d.spec as CategoricalParam).choices;
      const i = Math.min(choices.length - 1, Math.max(0, Math.round(x)));
      return choices[i] as Choice;
    }
    const s = d.spec as FloatParam | IntParam;
    let v = Math.min(d.high, Math.max(d.low, x));
    if (s.log) v = Math.exp(v);
    if (s.type === 'int') {
      const step = s.step ?? 1;
      v = s.low + Math.round((v - s.low) / step) * step;
      while (v > s.high) v -= step;
      while (v < s.low) v += step;
      return v;
    }
    if (s.step !== undefined) {
      v = s.low + Math.round((v - s.low) / s.step) * s.step;
      v = Math.min(s.high, Math.max(s.low, v));
    }
    return Math.min(s.high, Math.max(s.low, v));
  }

  /**
   * Checks a full parameter set against the space: every active parameter present and in range,
   * no inactive or unknown parameter. Throws a SpaceError naming the first offender.
   */
  validate(params: Params): void {
    if (params === null || typeof params !== 'object') throw new SpaceError('params: must be an object');
    const active: Params = {};
    for (const d of this.dims) {
      const present = d.name in params;
      if (!this.isActive(d, active)) {
        if (present)
          throw new SpaceError(
            `${d.name}: given but inactive (its condition on ${d.spec.when?.parent} is not met)`,
          );
        continue;
      }
      if (!present) throw new SpaceError(`${d.name}: missing (the parameter is active)`);
      const v = params[d.name] as ParamValue;
      checkValue(d, v);
      active[d.name] = v;
    }
    for (const k of Object.keys(params)) {
      if (!this.byName.has(k)) throw new SpaceError(`${k}: not a parameter of this space`);
    }
  }
}

function checkValue(d: Dimension, v: ParamValue): void {
  const s = d.spec;
  if (s.type === 'categorical') {
    if (!s.choices.includes(v as Choice)) {
      throw new SpaceError(
        `${d.name}: ${JSON.stringify(v)} is not one of the choices ${JSON.stringify(s.choices)}`,
      );
    }
    return;
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new SpaceError(`${d.name}: must be a finite number`);
  const tol = 1e-9 * Math.max(1, Math.abs(s.high - s.low));
  if (v < s.low - tol || v > s.high + tol)
    throw new SpaceError(`${d.name}: ${v} is outside [${s.low}, ${s.high}]`);
  if (s.type === 'int' && !Number.isInteger(v)) throw new SpaceError(`${d.name}: ${v} must be an integer`);
}

function validateParam(name: string, p: ParamSpec, seen: Map<string, Dimension>): Dimension {
  if (!name) throw new SpaceError('space: parameter names must be non-empty');
  if (p === null || typeof p !== 'object') throw new SpaceError(`${name}: spec must be an object`);
  if (p.when !== undefined) {
    const w = p.when;
    if (!w || typeof w.parent !== 'string')
      throw new SpaceError(`${name}.when.parent: must name a parameter`);
    const parent = seen.get(w.parent);
    if (!parent) {
      throw new SpaceError(
        `${name}.when.parent: "${w.parent}" must be declared before ${name} (parents first)`,
      );
    }
    if (!Array.isArray(w.values) || w.values.length === 0) {
      throw new SpaceError(`${name}.when.values: must be a non-empty array`);
    }
    if (parent.spec.type === 'categorical') {
      const choices = parent.spec.choices;
      for (const v of w.values) {
        if (!choices.includes(v)) {
          throw new SpaceError(`${name}.when.values: ${JSON.stringify(v)} is not a choice of ${w.parent}`);
        }
      }
    }
  }
  switch (p.type) {
    case 'categorical': {
      if (!Array.isArray(p.choices) || p.choices.length === 0) {
        throw new SpaceError(`${name}.choices: must be a non-empty array`);
      }
      for (const c of p.choices) {
        const t = typeof c;
        if (t !== 'string' && t !== 'boolean' && !(t === 'number' && Number.isFinite(c))) {
          throw new SpaceError(`${name}.choices: ${String(c)} must be a string, boolean or finite number`);
        }
      }
      if (new Set(p.choices).size !== p.choices.length)
        throw new SpaceError(`${name}.choices: must be distinct`);
      return { name, spec: p, low: 0, high: p.choices.length - 1, categorical: true, step: 1 };
    }
    case 'float':
    case 'int': {
      if (!Number.isFinite(p.low) || !Number.isFinite(p.high)) {
        throw new SpaceError(`${name}: low and high must be finite numbers`);
      }
      if (p.low > p.high) throw new SpaceError(`${name}: low (${p.low}) must be <= high (${p.high})`);
      if (p.log && p.low <= 0) throw new SpaceError(`${name}: low must be > 0 when log is true`);
      if (p.step !== undefined) {
        if (!(p.step > 0) || !Number.isFinite(p.step)) throw new SpaceError(`${name}.step: must be > 0`);
        if (p.log && p.step !== 1) throw new SpaceError(`${name}.step: cannot be combined with log`);
      }
      if (p.type === 'int') {
        if (!Number.isInteger(p.low) || !Number.isInteger(p.high)) {
          throw new SpaceError(`${name}: low and high must be integers for an int parameter`);
        }
        if (p.step !== undefined && !Number.isInteger(p.step)) {
          throw new SpaceError(`${name}.step: must be an integer for an int parameter`);
        }
        const step = p.step ?? 1;
        // Integers are widened by half a step so the end values get the same share as the inner ones.
        const lo = p.log ? Math.log(p.low - 0.5 * step > 0 ? p.low - 0.5 * step : p.low) : p.low - 0.5 * step;
        const hi = p.log ? Math.log(p.high + 0.5 * step) : p.high + 0.5 * step;
        return { name, spec: p, low: lo, high: hi, categorical: false, step: p.log ? 0 : step };
      }
      const lo = p.log ? Math.log(p.low) : p.low;
      const hi = p.log ? Math.log(p.high) : p.high;
      return { name, spec: p, low: lo, high: hi, categorical: false, step: p.step ?? 0 };
    }
    default:
      throw new SpaceError(
        `${name}.type: must be "float", "int" or "categorical" (got ${JSON.stringify((p as { type?: unknown }).type)})`,
      );
  }
}
