/**
 * The contract every ModelRegistry passes (src/core/registry/index.ts). A test file per implementation
 * calls `describeModelRegistryContract` with a factory returning a registry over empty storage whose clock
 * starts at T0 and advances 1 ms per reading.
 */
import { describe, expect, it } from 'vitest';
import type { ModelRegistry, NewModelVersion } from '../../src/core/registry/index.ts';
import { RegistryError } from '../../src/core/registry/index.ts';

export const T0 = Date.UTC(2024, 0, 2, 10, 0, 0);

/** A clock starting at T0 that advances 1 ms per reading, so times are distinct and predictable. */
export function steppingClock(): () => number {
  let tick = 0;
  return () => T0 + tick++;
}

const SHA = 'ab'.repeat(32);
const WHO = { reason: 'better auc on the holdout', actor: 'training-workflow' };

function candidate(n: number, extra: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    artifactUri: `s3://models/regime/run-${n}.json`,
    artifactSha256: SHA,
    algorithm: 'random-forest',
    params: { trees: 100 + n, depth: 6, features: ['iv', 'delta'], nested: { lr: 0.1, empty: '' } },
    metrics: { auc: 0.7 + n / 100, brier: 0.2 },
    datasetFingerprint: `ds-${n}`,
    codeVersion: '49c5737',
    ...extra,
  };
}

async function expectRegistryError(attempt: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  expect((error as RegistryError).code).toBe(code);
  expect((error as RegistryError).message).toMatch(message);
}

/** Registers `count` versions of `name` one after another. */
async function registerMany(registry: ModelRegistry, name: string, count: number): Promise<void> {
  for (let n = 1; n <= count; n += 1) await registry.registerVersion(name, candidate(n));
}

export function describeModelRegistryContract(
  name: string,
  makeRegistry: () => Promise<ModelRegistry>,
): void {
  describe(`ModelRegistry contract: ${name}`, () => {
    describe('versions', () => {
      it('numbers versions 1, 2, 3 per model and returns every field as registered', async () => {
        // Prepare
        const registry = await makeRegistry();

        // Act
        const first = await registry.registerVersion('regime', candidate(1, { runId: 'exec-1' }));
        const second = await registry.registerVersion('regime', candidate(2));
        const other = await registry.registerVersion('vol-surface', candidate(3));

        // Assess
        expect([first.version, second.version, other.version]).toEqual([1, 2, 1]);
        expect(first).toEqual({
          name: 'regime',
          version: 1,
          createdAt: expect.any(Number),
          ...candidate(1, { runId: 'exec-1' }),
        });
        expect(await registry.getVersion('regime', 1)).toEqual(first);
        expect(await registry.getVersion('regime', 2)).toEqual(second);
        expect(second.runId).toBeUndefined();
        expect(second.createdAt).toBeGreaterThanOrEqual(T0);
      });

      it('stores the sha256 in lower case', async () => {
        // Prepare
        const registry = await makeRegistry();

        // Act
        const stored = await registry.registerVersion(
          'regime',
          candidate(1, { artifactSha256: 'AB'.repeat(32) }),
        );

        // Assess
        expect(stored.artifactSha256).toBe(SHA);
        expect((await registry.getVersion('regime', 1)).artifactSha256).toBe(SHA);
      });

      it('keeps a version immutable: re-registering gives a new version, mutating a copy changes nothing', async () => {
        // Prepare
        const registry = await makeRegistry();
        const input = candidate(1);
        const first = await registry.registerVersion('regime', input);

        // Act
        const again = await registry.registerVersion('regime', input);
        (input.params as Record<string, unknown>).trees = -1;
        (first.metrics as Record<string, number>).auc = 0;

        // Assess
        expect(again.version).toBe(2);
        expect(await registry.getVersion('regime', 1)).toEqual({
          ...first,
          params: candidate(1).params,
          metrics: candidate(1).metrics,
        });
        expect(Object.keys(registry).filter((key) => /update|delete|replace/i.test(key))).toEqual([]);
      });

      it('gives 10 concurrent registrations 10 distinct versions, 1 to 10', async () => {
        // Prepare
        const registry = await makeRegistry();

        // Act
        const registered = await Promise.all(
          Array.from({ length: 10 }, (_, n) => registry.registerVersion('regime', candidate(n))),
        );

        // Assess
        expect(registered.map((v) => v.version).sort((a, b) => a - b)).toEqual([
          1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
        ]);
        for (const version of registered) {
          expect((await registry.getVersion('regime', version.version)).datasetFingerprint).toBe(
            version.datasetFingerprint,
          );
        }
      });

      it('lists versions newest first, page by page, with a cursor exactly while older ones remain', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 5);
        await registry.registerVersion('regime-b', candidate(9));

        // Act
        const first = await registry.listVersions('regime', { limit: 2 });
        const second = await registry.listVersions('regime', { limit: 2, cursor: first.cursor });
        const third = await registry.listVersions('regime', { limit: 2, cursor: second.cursor });
        const all = await registry.listVersions('regime');
        const exact = await registry.listVersions('regime', { limit: 5 });

        // Assess
        expect(first.versions.map((v) => v.version)).toEqual([5, 4]);
        expect(second.versions.map((v) => v.version)).toEqual([3, 2]);
        expect(third.versions.map((v) => v.version)).toEqual([1]);
        expect(third.cursor).toBeUndefined();
        expect(all.versions.map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
        expect(all.versions[0]).toEqual(await registry.getVersion('regime', 5));
        expect(exact.cursor).toBeUndefined();
      });
    });

    describe('aliases', () => {
      it('sets, moves and reads an alias with its history, oldest move first', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 3);

        // Act
        const created = await registry.setAlias('regime', 'champion', 1, WHO);
        const moved = await registry.setAlias('regime', 'champion', 3, { reason: 'v3 wins', actor: 'alice' });
        const read = await registry.getAlias('regime', 'champion');

        // Assess
        expect(created).toMatchObject({ name: 'regime', alias: 'champion', version: 1, revision: 1 });
        expect(moved).toMatchObject({ version: 3, revision: 2 });
        expect(read).toEqual(moved);
        expect(read.history).toEqual([
          { from: null, to: 1, at: expect.any(Number), kind: 'set', ...WHO },
          { from: 1, to: 3, at: expect.any(Number), kind: 'set', reason: 'v3 wins', actor: 'alice' },
        ]);
        expect(read.history[1]!.at).toBeGreaterThan(read.history[0]!.at);
        expect(read.updatedAt).toBe(read.history[1]!.at);
      });

      it('keeps aliases of one model apart', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 2);

        // Act
        await registry.setAlias('regime', 'champion', 1, WHO);
        await registry.setAlias('regime', 'challenger', 2, WHO);

        // Assess
        expect((await registry.getAlias('regime', 'champion')).version).toBe(1);
        expect((await registry.getAlias('regime', 'challenger')).version).toBe(2);
      });

      it('records nothing when an alias is set to the version it already points at', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 1);
        const first = await registry.setAlias('regime', 'champion', 1, WHO);

        // Act
        const again = await registry.setAlias('regime', 'champion', 1, WHO);

        // Assess
        expect(again).toEqual(first);
        expect((await registry.getAlias('regime', 'champion')).history).toHaveLength(1);
      });

      it('records every one of 5 concurrent moves, each starting where the previous one ended', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 6);
        await registry.setAlias('regime', 'champion', 1, WHO);

        // Act
        await Promise.all(
          [2, 3, 4, 5, 6].map((v) =>
            registry.setAlias('regime', 'champion', v, { reason: `to ${v}`, actor: `op-${v}` }),
          ),
        );

        // Assess
        const state = await registry.getAlias('regime', 'champion');
        expect(state.history).toHaveLength(6);
        expect(state.revision).toBe(6);
        expect(
          state.history
            .slice(1)
            .map((m) => m.to)
            .sort(),
        ).toEqual([2, 3, 4, 5, 6]);
        state.history.slice(1).forEach((move, i) => {
          expect(move.from).toBe(state.history[i]!.to);
          expect(move.reason).toBe(`to ${move.to}`);
        });
        expect(state.version).toBe(state.history[5]!.to);
      });

      it('rolls back to the version before the last move; a second rollback undoes the first', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 3);
        await registry.setAlias('regime', 'champion', 1, WHO);
        await registry.setAlias('regime', 'champion', 3, WHO);
        const undo = { reason: 'v3 drifts in production', actor: 'bob' };

        // Act
        const rolledBack = await registry.rollback('regime', 'champion', undo);
        const undone = await registry.rollback('regime', 'champion', undo);

        // Assess
        expect(rolledBack.version).toBe(1);
        expect(rolledBack.history[2]).toEqual({
          from: 3,
          to: 1,
          at: expect.any(Number),
          kind: 'rollback',
          ...undo,
        });
        expect(undone.version).toBe(3);
        expect(
          (await registry.getAlias('regime', 'champion')).history.map((m) => [m.kind, m.from, m.to]),
        ).toEqual([
          ['set', null, 1],
          ['set', 1, 3],
          ['rollback', 3, 1],
          ['rollback', 1, 3],
        ]);
      });

      it('keeps only the last 100 moves, while the revision keeps counting', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 2);

        // Act
        for (let n = 0; n < 103; n += 1) await registry.setAlias('regime', 'champion', (n % 2) + 1, WHO);

        // Assess
        const state = await registry.getAlias('regime', 'champion');
        expect(state.revision).toBe(103);
        expect(state.history).toHaveLength(100);
        // The oldest kept move is the 4th made (index 3): from 1 to 2.
        expect(state.history[0]).toMatchObject({ from: 1, to: 2 });
        expect(state.version).toBe(1);
      });
    });

    describe('errors', () => {
      it('answers not_found for an unknown model, version or alias, naming it', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 1);

        // Act, Assess
        await expectRegistryError(registry.getVersion('regime', 2), 'not_found', /regime.*version 2/);
        await expectRegistryError(registry.getVersion('unknown', 1), 'not_found', /unknown/);
        await expectRegistryError(registry.listVersions('unknown'), 'not_found', /unknown/);
        await expectRegistryError(registry.getAlias('regime', 'champion'), 'not_found', /alias champion/);
        await expectRegistryError(registry.setAlias('regime', 'champion', 7, WHO), 'not_found', /version 7/);
        await expectRegistryError(
          registry.rollback('regime', 'champion', WHO),
          'not_found',
          /alias champion/,
        );
      });

      it('answers conflict, naming the alias, when rolling back an alias with no earlier version', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 1);
        await registry.setAlias('regime', 'champion', 1, WHO);

        // Act, Assess
        await expectRegistryError(
          registry.rollback('regime', 'champion', WHO),
          'conflict',
          /alias champion.*no earlier version/,
        );
      });

      it('refuses bad names, sha256, metrics and params as invalid, naming the field and the rule', async () => {
        // Prepare
        const registry = await makeRegistry();
        await registerMany(registry, 'regime', 1);
        const bad = (extra: Record<string, unknown>) => candidate(1, extra as Partial<NewModelVersion>);

        // Act, Assess
        await expectRegistryError(
          registry.registerVersion('Regime', candidate(1)),
          'invalid',
          /^name: must match/,
        );
        await expectRegistryError(registry.registerVersion('r', candidate(1)), 'invalid', /^name:/);
        await expectRegistryError(
          registry.registerVersion('a'.repeat(65), candidate(1)),
          'invalid',
          /^name:/,
        );
        await expectRegistryError(
          registry.registerVersion('regime', bad({ artifactSha256: 'ab'.repeat(31) })),
          'invalid',
          /^artifactSha256: must be 64 hexadecimal/,
        );
        await expectRegistryError(
          registry.registerVersion('regime', bad({ artifactSha256: 'zz'.repeat(32) })),
          'invalid',
          /^artifactSha256:/,
        );
        await expectRegistryError(
          registry.registerVersion('regime', bad({ metrics: { auc: Number.NaN } })),
          'invalid',
          /^metrics\.auc: must be a finite number/,
        );
        await expectRegistryError(
          registry.registerVersion('regime', bad({ metrics: { auc: Number.POSITIVE_INFINITY } })),
          'invalid',
          /^metrics\.auc:/,
        );
        await expectRegistryError(
          registry.registerVersion('regime', bad({ params: { lr: Number.NaN } })),
          'invalid',
          /^params\.lr: must be a finite number/,
        );
        await expectRegistryError(
          registry.registerVersion('regime', bad({ params: { when: new Date(0) } })),
          'invalid',
          /^params\.when: must be JSON/,
        );
        await expectRegistryError(
          registry.registerVersion('regime', bad({ artifactUri: ' ' })),
          'invalid',
          /^artifactUri: must be a non-blank string/,
        );
        await expectRegistryError(
          registry.registerVersion('regime', bad({ codeVersion: undefined })),
          'invalid',
          /^codeVersion:/,
        );
        await expectRegistryError(
          registry.setAlias('regime', 'Champion', 1, WHO),
          'invalid',
          /^alias: must match/,
        );
        await expectRegistryError(registry.setAlias('regime', 'a'.repeat(33), 1, WHO), 'invalid', /^alias:/);
        await expectRegistryError(
          registry.setAlias('regime', 'champion', 0, WHO),
          'invalid',
          /^version: must be an integer/,
        );
        await expectRegistryError(
          registry.setAlias('regime', 'champion', 1, { reason: '', actor: 'x' }),
          'invalid',
          /^reason:/,
        );
        await expectRegistryError(registry.getVersion('regime', 1.5), 'invalid', /^version:/);
        await expectRegistryError(registry.listVersions('regime', { limit: 0 }), 'invalid', /^limit:/);
        await expectRegistryError(
          registry.listVersions('regime', { cursor: 'nonsense' }),
          'invalid',
          /^cursor:/,
        );
        expect((await registry.listVersions('regime')).versions).toHaveLength(1);
      });
    });
  });
}
