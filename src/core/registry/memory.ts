/**
 * In-memory model registry for core and workflow unit tests. Each call reads and writes without an
 * `await` in between, so calls are atomic on the event loop; returned objects are copies, so a caller
 * cannot change a stored version.
 */
import { RegistryError } from './errors.ts';
import type {
  AliasState,
  ListVersionsOptions,
  ModelRegistry,
  ModelVersion,
  MoveContext,
  NewModelVersion,
  VersionPage,
} from './index.ts';
import {
  applyAliasMove,
  encodeVersionCursor,
  normaliseNewVersion,
  rollbackTarget,
  validateAlias,
  validateListOptions,
  validateModelName,
  validateMoveContext,
  validateVersionNumber,
} from './rules.ts';

export interface InMemoryModelRegistryProps {
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

interface ModelEntry {
  nextVersion: number;
  readonly versions: Map<number, ModelVersion>;
  readonly aliases: Map<string, AliasState>;
}

/** A {@link ModelRegistry} held in a Map; passes the same contract suite as the DynamoDB registry. */
export class InMemoryModelRegistry implements ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private readonly now: () => number;

  constructor(props: InMemoryModelRegistryProps = {}) {
    this.now = props.now ?? Date.now;
  }

  async registerVersion(name: string, input: NewModelVersion): Promise<ModelVersion> {
    validateModelName(name);
    const normalised = normaliseNewVersion(input);
    let entry = this.models.get(name);
    if (entry === undefined) {
      entry = { nextVersion: 1, versions: new Map(), aliases: new Map() };
      this.models.set(name, entry);
    }
    const version: ModelVersion = { name, version: entry.nextVersion, createdAt: this.now(), ...normalised };
    entry.nextVersion += 1;
    entry.versions.set(version.version, version);
    return structuredClone(version);
  }

  async getVersion(name: string, version: number): Promise<ModelVersion> {
    return structuredClone(this.version(name, version));
  }

  async listVersions(name: string, options?: ListVersionsOptions): Promise<VersionPage> {
    validateModelName(name);
    const { limit, before } = validateListOptions(options);
    const entry = this.models.get(name);
    if (entry === undefined || entry.versions.size === 0) {
      throw new RegistryError('not_found', `model ${name} has no version`, 'name');
    }
    const older = [...entry.versions.values()]
      .filter((v) => before === undefined || v.version < before)
      .sort((a, b) => b.version - a.version);
    const versions = older.slice(0, limit).map((v) => structuredClone(v));
    const last = versions[versions.length - 1];
    return older.length > limit && last !== undefined
      ? { versions, cursor: encodeVersionCursor(last.version) }
      : { versions };
  }

  async setAlias(name: string, alias: string, version: number, context: MoveContext): Promise<AliasState> {
    validateAlias(alias);
    const checked = validateMoveContext(context);
    this.version(name, version);
    const aliases = this.models.get(name)!.aliases;
    const current = aliases.get(alias);
    const next = applyAliasMove(current, { name, alias, to: version, kind: 'set', at: this.now() }, checked);
    if (next !== undefined) aliases.set(alias, next);
    return structuredClone((next ?? current)!);
  }

  async getAlias(name: string, alias: string): Promise<AliasState> {
    return structuredClone(this.alias(name, alias));
  }

  async rollback(name: string, alias: string, context: MoveContext): Promise<AliasState> {
    const checked = validateMoveContext(context);
    const current = this.alias(name, alias);
    const to = rollbackTarget(current);
    const next = applyAliasMove(current, { name, alias, to, kind: 'rollback', at: this.now() }, checked)!;
    this.models.get(name)!.aliases.set(alias, next);
    return structuredClone(next);
  }

  private version(name: string, version: number): ModelVersion {
    validateModelName(name);
    validateVersionNumber(version);
    const found = this.models.get(name)?.versions.get(version);
    if (found === undefined) {
      throw new RegistryError('not_found', `model ${name} has no version ${version}`, 'version');
    }
    return found;
  }

  private alias(name: string, alias: string): AliasState {
    validateModelName(name);
    validateAlias(alias);
    const found = this.models.get(name)?.aliases.get(alias);
    if (found === undefined) {
      throw new RegistryError('not_found', `model ${name} has no alias ${alias}`, 'alias');
    }
    return found;
  }
}
