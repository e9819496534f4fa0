/**
 * `npm run bench:opt`: the optimiser core against Optuna 3.1 on the same problems
 * (../shared/data/reference/peers.json, measured on this kind of machine).
 *   1. Single objective — Branin, Hartmann6, Rosenbrock (5-D), Ackley (5-D): simple regret (best f in the first
 *      B trials − f_min) at B = 50, 100, 200, median [q25, q75] over seeds 0..n-1, per sampler, next to
 *      Optuna's figure for the same sampler and against the target (Optuna TPE's median regret).
 *   2. Multi objective — NSGA-II (population 50) on ZDT1-3 (30 variables) and DTLZ2 (12 variables, 3
 *      objectives): hypervolume of the non-dominated set of all evaluations at 1,000 and 5,000 evaluations,
 *      reference point 1.1 per objective, as a ratio of the jMetal reference front's hypervolume (computed
 *      here, next to the peers' value), median [q25, q75] over 5 seeds.
 *   3. The sampler's own time per trial (ask + tell, objective excluded), next to Optuna's overhead.
 * Options: --seeds N (single objective, default 10), --mo-seeds N (default 5),
 *          --samplers random,qmc,tpe,tpe-mv,cmaes,gp,nsga2 (default all), --problems Branin,...,DTLZ2 (default all).
 * Prints a table, then one JSON object as the last line; progress goes to stderr.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CmaEsSampler,
  GpSampler,
  hypervolume,
  Nsga2Sampler,
  nonDominated,
  PROBLEMS,
  QmcSampler,
  RandomSampler,
  type Sampler,
  type SpaceSpec,
  Study,
  TpeSampler,
} from '../../src/core/optimise/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = resolve(ROOT, '..', 'shared', 'data');

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    'mo-seeds': { type: 'string', default: '5' },
    samplers: { type: 'string', default: 'random,qmc,tpe,tpe-mv,cmaes,gp,nsga2' },
    problems: { type: 'string', default: 'Branin,Hartmann6,Rosenbrock5,Ackley5,ZDT1,ZDT2,ZDT3,DTLZ2' },
  },
});
const SEEDS = Number(values.seeds);
const MO_SEEDS = Number(values['mo-seeds']);
const SAMPLERS = values.samplers.split(',').map((s) => s.trim());
const PROBLEM_NAMES = values.problems.split(',').map((s) => s.trim());
for (const p of PROBLEM_NAMES) if (!PROBLEMS[p]) throw new Error(`--problems: unknown problem ${p}`);

const SO_BUDGETS = [50, 100, 200];
const MO_BUDGETS = [1000, 5000];

const FACTORIES: Record<string, () => Sampler> = {
  random: () => new RandomSampler(),
  qmc: () => new QmcSampler(),
  tpe: () => new TpeSampler(),
  'tpe-mv': () => new TpeSampler({ multivariate: true }),
  cmaes: () => new CmaEsSampler(),
  gp: () => new GpSampler(),
  nsga2: () => new Nsga2Sampler({ populationSize: 50 }),
};
for (const s of SAMPLERS) if (!FACTORIES[s]) throw new Error(`--samplers: unknown sampler ${s}`);
const OPTUNA_NAME: Record<string, string> = {
  random: 'Random',
  tpe: 'TPE',
  'tpe-mv': 'TPE_multivariate',
  cmaes: 'CMA-ES',
};

interface Stat {
  median: number;
  q25: number;
  q75: number;
}
type PeerRegret = Record<string, Stat>;
interface PeerSampler {
  regret: PeerRegret;
  overhead_ms_per_trial: { mean_all_trials: number };
}
interface PeersJson {
  single_objective_optuna: {
    problems: Record<string, { f_min: number; samplers: Record<string, PeerSampler> }>;
  };
  multi_objective_optuna: {
    runs: Record<
      string,
      {
        hv_reference_front: number;
        reference_front: string;
        wall_s_per_run_to_max_budget: number;
        budgets: Record<string, { hv_median: number; hv_q25: number; hv_q75: number; ratio_median: number }>;
      }
    >;
  };
}
const peers = JSON.parse(readFileSync(resolve(DATA, 'reference', 'peers.json'), 'utf8')) as PeersJson;
const refValues = JSON.parse(
  readFileSync(resolve(DATA, 'optimization', 'reference_values.json'), 'utf8'),
) as {
  single_objective: Record<string, { f_min: number | string }>;
};

/** Quantile with linear interpolation (numpy's default), as the peers' harness computes it. */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}
const stat = (xs: readonly number[]): Stat => ({
  median: quantile(xs, 0.5),
  q25: quantile(xs, 0.25),
  q75: quantile(xs, 0.75),
});
const fmt = (x: number) => {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1000 || a < 1e-3) return x.toExponential(2);
  return x.toPrecision(4);
};
const fmtStat = (s: Stat) => `${fmt(s.median)} [${fmt(s.q25)}, ${fmt(s.q75)}]`;

function boxSpace(bounds: readonly (readonly [number, number])[]): SpaceSpec {
  const spec: Record<string, { type: 'float'; low: number; high: number }> = {};
  bounds.forEach(([low, high], i) => {
    spec[`x${i}`] = { type: 'float', low, high };
  });
  return spec;
}

interface RunResult {
  bestAt: number[];
  samplerMs: number;
}

function runSingle(problemName: string, samplerName: string, seed: number, budget: number): RunResult {
  const problem = PROBLEMS[problemName]!;
  const study = new Study({ space: boxSpace(problem.bounds), sampler: FACTORIES[samplerName]!(), seed });
  let best = Number.POSITIVE_INFINITY;
  const bestAt: number[] = [];
  let samplerMs = 0;
  for (let i = 0; i < budget; i++) {
    const t0 = performance.now();
    const t = study.ask();
    const t1 = performance.now();
    const x = problem.bounds.map((_, k) => t.params[`x${k}`] as number);
    const f = problem.evaluate(x)[0] as number;
    const t2 = performance.now();
    study.tell(t.number, f);
    samplerMs += t1 - t0 + (performance.now() - t2);
    best = Math.min(best, f);
    bestAt.push(best);
  }
  return { bestAt, samplerMs: samplerMs / budget };
}

interface MoResult {
  hvAt: Record<number, number>;
  samplerMs: number;
}

function runMulti(problemName: string, seed: number, budgets: number[]): MoResult {
  const problem = PROBLEMS[problemName]!;
  const directions = Array.from({ length: problem.nObjectives }, () => 'minimize' as const);
  const study = new Study({ space: boxSpace(problem.bounds), directions, sampler: FACTORIES.nsga2!(), seed });
  const ref = new Array<number>(problem.nObjectives).fill(1.1);
  const points: number[][] = [];
  const hvAt: Record<number, number> = {};
  const max = Math.max(...budgets);
  let samplerMs = 0;
  for (let i = 1; i <= max; i++) {
    const t0 = performance.now();
    const t = study.ask();
    const t1 = performance.now();
    const x = problem.bounds.map((_, k) => t.params[`x${k}`] as number);
    const f = problem.evaluate(x);
    const t2 = performance.now();
    study.tell(t.number, f);
    samplerMs += t1 - t0 + (performance.now() - t2);
    points.push(f);
    if (budgets.includes(i)) hvAt[i] = hypervolume(nonDominated(points), ref);
  }
  return { hvAt, samplerMs: samplerMs / max };
}

function readFront(file: string): number[][] {
  return readFileSync(resolve(DATA, 'optimization', 'reference_fronts_jmetal', file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => l.split(',').map(Number));
}

const started = performance.now();
const out: Record<string, unknown> = { bench: 'opt', seeds: SEEDS, moSeeds: MO_SEEDS };
const lines: string[] = [];
const soProblems = PROBLEM_NAMES.filter((p) => PROBLEMS[p]!.nObjectives === 1);
const soSamplers = SAMPLERS.filter((s) => s !== 'nsga2');
const single: Record<string, Record<string, unknown>> = {};
const targetRows: { problem: string; budget: number; optunaTpe: number; ours: Record<string, number> }[] = [];

for (const p of soProblems) {
  const fMinRaw = refValues.single_objective[p.replace(/\d+$/, '')]?.f_min;
  const fMin = typeof fMinRaw === 'number' ? fMinRaw : PROBLEMS[p]!.fMin!;
  const peer = peers.single_objective_optuna.problems[p];
  single[p] = {};
  lines.push(
    '',
    `## ${p} (d=${PROBLEMS[p]!.dim}, f_min=${fMin}): simple regret, median [q25, q75] over ${SEEDS} seeds`,
  );
  lines.push(
    `| sampler | ${SO_BUDGETS.map((b) => `ours @${b} | Optuna @${b}`).join(' | ')} | ours ms/trial | Optuna ms/trial |`,
    `|---|${SO_BUDGETS.map(() => '---|---|').join('')}---|---|`,
  );
  const tpePeer = peer?.samplers.TPE?.regret;
  const perBudget: Record<number, Record<string, number>> = {};
  for (const s of soSamplers) {
    const runs: RunResult[] = [];
    for (let seed = 0; seed < SEEDS; seed++) {
      process.stderr.write(`\r${p} ${s} seed ${seed + 1}/${SEEDS}        `);
      runs.push(runSingle(p, s, seed, Math.max(...SO_BUDGETS)));
    }
    const row: Record<string, unknown> = {};
    const cells: string[] = [];
    for (const b of SO_BUDGETS) {
      const st = stat(runs.map((r) => (r.bestAt[b - 1] as number) - fMin));
      row[b] = st;
      perBudget[b] = { ...(perBudget[b] ?? {}), [s]: st.median };
      const pr = OPTUNA_NAME[s] ? peer?.samplers[OPTUNA_NAME[s]]?.regret[b] : undefined;
      cells.push(fmtStat(st), pr ? fmtStat(pr) : '-');
    }
    const ms = runs.reduce((a, r) => a + r.samplerMs, 0) / runs.length;
    row.msPerTrial = ms;
    const peerMs = OPTUNA_NAME[s]
      ? peer?.samplers[OPTUNA_NAME[s]]?.overhead_ms_per_trial.mean_all_trials
      : undefined;
    if (peerMs !== undefined) row.optunaMsPerTrial = peerMs;
    single[p][s] = row;
    lines.push(
      `| ${s} | ${cells.join(' | ')} | ${ms.toFixed(2)} | ${peerMs !== undefined ? peerMs.toFixed(2) : '-'} |`,
    );
  }
  for (const b of SO_BUDGETS) {
    const t = tpePeer?.[b];
    if (t) targetRows.push({ problem: p, budget: b, optunaTpe: t.median, ours: perBudget[b] ?? {} });
  }
}
process.stderr.write('\n');
out.single = single;

if (targetRows.length > 0) {
  lines.push('', '## Target: median regret at or below Optuna TPE at each budget (✓ = met)');
  lines.push(
    `| problem | budget | Optuna TPE | ${soSamplers.join(' | ')} |`,
    `|---|---|---|${soSamplers.map(() => '---|').join('')}`,
  );
  for (const r of targetRows) {
    lines.push(
      `| ${r.problem} | ${r.budget} | ${fmt(r.optunaTpe)} | ${soSamplers
        .map((s) => {
          const v = r.ours[s];
          return v === undefined ? '-' : `${fmt(v)} ${v <= r.optunaTpe ? '✓' : '✗'}`;
        })
        .join(' | ')} |`,
    );
  }
  const met: Record<string, string> = {};
  for (const s of soSamplers) {
    const n = targetRows.filter((r) => (r.ours[s] ?? Number.POSITIVE_INFINITY) <= r.optunaTpe).length;
    met[s] = `${n}/${targetRows.length}`;
  }
  lines.push(`Cells meeting the target per sampler: ${soSamplers.map((s) => `${s} ${met[s]}`).join(', ')}`);
  out.targetRegretVsOptunaTpe = { cellsMet: met, cells: targetRows };
}

const moProblems = PROBLEM_NAMES.filter((p) => PROBLEMS[p]!.nObjectives > 1);
if (SAMPLERS.includes('nsga2') && moProblems.length > 0) {
  const multi: Record<string, unknown> = {};
  lines.push(
    '',
    `## NSGA-II (population 50): hypervolume ratio to the jMetal front, ref 1.1, median [q25, q75] over ${MO_SEEDS} seeds`,
  );
  lines.push(
    '| problem | front HV (ours / peers) | ours @1000 | Optuna @1000 | ours @5000 | Optuna @5000 | ours ms/trial | Optuna ms/trial* |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const p of moProblems) {
    const run = peers.multi_objective_optuna.runs[`NSGA-II|${p}`];
    const frontFile = run?.reference_front ?? (p === 'DTLZ2' ? 'DTLZ2.3D.csv' : `${p}.csv`);
    const ref = new Array<number>(PROBLEMS[p]!.nObjectives).fill(1.1);
    const frontHv = hypervolume(nonDominated(readFront(frontFile)), ref);
    const results: MoResult[] = [];
    for (let seed = 0; seed < MO_SEEDS; seed++) {
      process.stderr.write(`\r${p} nsga2 seed ${seed + 1}/${MO_SEEDS}        `);
      results.push(runMulti(p, seed, MO_BUDGETS));
    }
    const row: Record<string, unknown> = { frontHv, peerFrontHv: run?.hv_reference_front };
    const cells: string[] = [];
    for (const b of MO_BUDGETS) {
      const ratios = stat(results.map((r) => (r.hvAt[b] as number) / frontHv));
      const pb = run?.budgets[b];
      row[b] = { ratio: ratios, optunaRatioMedian: pb?.ratio_median };
      cells.push(
        fmtStat(ratios),
        pb
          ? `${fmt(pb.ratio_median)} [${fmt(pb.hv_q25 / run!.hv_reference_front)}, ${fmt(pb.hv_q75 / run!.hv_reference_front)}]`
          : '-',
      );
    }
    const ms = results.reduce((a, r) => a + r.samplerMs, 0) / results.length;
    const peerMs = run ? (run.wall_s_per_run_to_max_budget * 1000) / 5000 : undefined;
    row.msPerTrial = ms;
    row.optunaMsPerTrial = peerMs;
    multi[p] = row;
    lines.push(
      `| ${p} | ${frontHv.toFixed(5)} / ${run ? run.hv_reference_front.toFixed(5) : '-'} | ${cells.join(' | ')} | ${ms.toFixed(3)} | ${peerMs !== undefined ? peerMs.toFixed(2) : '-'} |`,
    );
  }
  process.stderr.write('\n');
  lines.push(
    '* Optuna NSGA-II time per trial = its wall time per run to 5,000 evaluations / 5,000 (objective included, negligible).',
  );
  out.multi = multi;
}

out.wallSeconds = (performance.now() - started) / 1000;
console.log('# Optimiser benchmark (ours vs Optuna 3.1, peers.json)');
console.log(lines.join('\n'));
console.log(`\nwall time ${(out.wallSeconds as number).toFixed(1)} s`);
console.log(JSON.stringify(out));
