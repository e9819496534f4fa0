/**
 * The model registry port: immutable model versions and movable aliases (champion, challenger, ...) with
 * their history and rollback. Adapters: the in-memory registry (./memory.ts, for core and workflow tests)
 * and the DynamoDB registry on the Documents table (src/adapters/dynamodb-model-registry.ts). Both pass
 * the contract suite in test/contract/model-registry.contract.ts.
 *
 * Why no library: the registries of MLflow or SageMaker are services, not libraries, and nothing on npm
 * keeps versions and alias history on a DynamoDB table; the logic is small and pure (./rules.ts).
 */

export { RegistryError, type RegistryErrorCode } from './errors.ts';
export {
  ALIAS_HISTORY_LIMIT,
  applyAliasMove,
  decodeVersionCursor,
  encodeVersionCursor,
  normaliseNewVersion,
  rollbackTarget,
  validateAlias,
  validateListOptions,
  validateModelName,
  validateMoveContext,
  validateVersionNumber,
} from './rules.ts';

/** A JSON value, so parameters round-trip exactly through any store. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** What a training run hands to the registry. */
export interface NewModelVersion {
  /** Where the artifact lives, e.g. `s3://bucket/models/regime/v3.json`. */
  readonly artifactUri: string;
  /** SHA-256 of the artifact bytes, 64 hex characters (stored lower case). */
  readonly artifactSha256: string;
  /** E.g. `random-forest`. */
  readonly algorithm: string;
  /** Hyper-parameters (any JSON object). */
  readonly params: { readonly [key: string]: JsonValue };
  /** Evaluation metrics, finite numbers, e.g. `{ auc: 0.81 }`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Identifies the training data exactly (e.g. a hash of the dataset manifest). */
  readonly datasetFingerprint: string;
  /** Code that trained it, e.g. a git commit. */
  readonly codeVersion: string;
  /** The training run (e.g. Step Functions execution) that produced it. */
  readonly runId?: string;
}

/** A registered version: never changed after registration. */
export interface ModelVersion extends NewModelVersion {
  readonly name: string;
  /** 1, 2, 3, ... per model, assigned by the registry and never reused (gaps are possible). */
  readonly version: number;
  /** Registration time, epoch ms. */
  readonly createdAt: number;
}

/** Who moved an alias and why: kept in the alias history. */
export interface MoveContext {
  readonly reason: string;
  readonly actor: string;
}

/** One move of an alias. */
export interface AliasMove extends MoveContext {
  /** The version the alias pointed at before; null for the move that created the alias. */
  readonly from: number | null;
  readonly to: number;
  /** Epoch ms. */
  readonly at: number;
  readonly kind: 'set' | 'rollback';
}

/** An alias now, with its history (oldest first, only the last {@link ALIAS_HISTORY_LIMIT} moves). */
export interface AliasState {
  readonly name: string;
  readonly alias: string;
  readonly version: number;
  /** Count of moves ever made (keeps growing when old history is dropped); the optimistic-lock token. */
  readonly revision: number;
  /** Epoch ms of the last move. */
  readonly updatedAt: number;
  readonly history: readonly AliasMove[];
}

export interface ListVersionsOptions {
  /** Page size, 1..100. @default 20 */
  readonly limit?: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string;
}

export interface VersionPage {
  /** Newest first. */
  readonly versions: readonly ModelVersion[];
  /** Present when older versions remain. */
  readonly cursor?: string;
}

/** The model registry port. Every method validates its input and throws {@link RegistryError}. */
export interface ModelRegistry {
  /** Registers a new immutable version; registering the same artifact twice gives two versions. */
  registerVersion(name: string, input: NewModelVersion): Promise<ModelVersion>;
  /** @throws {RegistryError} not_found when the model or version does not exist. */
  getVersion(name: string, version: number): Promise<ModelVersion>;
  /** @throws {RegistryError} not_found when the model has no version. */
  listVersions(name: string, options?: ListVersionsOptions): Promise<VersionPage>;
  /**
   * Points `alias` at `version`, recording the move. Setting an alias to the version it already points at
   * changes nothing (so a retried workflow step does not pollute the history).
   * @throws {RegistryError} not_found when the version does not exist.
   */
  setAlias(name: string, alias: string, version: number, context: MoveContext): Promise<AliasState>;
  /** @throws {RegistryError} not_found when the alias was never set. */
  getAlias(name: string, alias: string): Promise<AliasState>;
  /**
   * Moves the alias back to the version it pointed at before its last move (a second rollback therefore
   * undoes the first). Not retried when the alias moves meanwhile: that is a `conflict`, since undoing
   * somebody else's fresh move is rarely what the caller meant.
   * @throws {RegistryError} conflict when there is no earlier version or the alias moved concurrently.
   */
  rollback(name: string, alias: string, context: MoveContext): Promise<AliasState>;
}
