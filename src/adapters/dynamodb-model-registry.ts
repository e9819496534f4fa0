/**
 * DynamoDbModelRegistry: the model registry on the Documents table, without transactions (dynalite has
 * none), using single-item conditional writes only.
 *
 * Items, all under pk `MODEL#<name>`:
 * - sk `META`: `nextVersion` (N), the version counter, raised with an atomic `ADD` (UPDATED_NEW), so two
 *   concurrent registrations never get the same number. A number whose version put then fails is lost
 *   (a gap), never reused.
 * - sk `V#<10-digit version>`: one immutable version, written with `attribute_not_exists(pk)`; params and
 *   metrics as JSON text so they round-trip exactly. On a condition failure (only possible if the counter
 *   was reset by hand) the registration takes the next number.
 * - sk `ALIAS#<alias>`: the current `version`, `revision` (N, moves ever made) and `history` (JSON text,
 *   the last ALIAS_HISTORY_LIMIT = 100 moves, oldest first). Every move is a put conditioned on the revision
 *   it read (or on absence), so of two concurrent moves one fails and re-reads: neither is lost.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type {
  AliasMove,
  AliasState,
  ListVersionsOptions,
  ModelRegistry,
  ModelVersion,
  MoveContext,
  NewModelVersion,
  VersionPage,
} from '../core/registry/index.ts';
import {
  applyAliasMove,
  encodeVersionCursor,
  normaliseNewVersion,
  RegistryError,
  rollbackTarget,
  validateAlias,
  validateListOptions,
  validateModelName,
  validateMoveContext,
  validateVersionNumber,
} from '../core/registry/index.ts';
import { isConditionalCheckFailed, transientAware } from './errors.ts';
import { DOCUMENTS_TABLE } from './tables.ts';

export interface DynamoDbModelRegistryProps {
  readonly client: DynamoDBClient;
  /** The Documents table (keys per DOCUMENTS_TABLE in tables.ts). */
  readonly tableName: string;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Attempts of an alias move that keeps losing the optimistic lock before a `conflict`. @default 20 */
  readonly maxAttempts?: number;
}

const { partitionKey: PK, sortKey: SK } = DOCUMENTS_TABLE;
type Item = Record<string, AttributeValue>;

/** The keys of the registry's items for one model. */
export function modelRegistryKeys(name: string) {
  const pk = `MODEL#${name}`;
  return {
    meta: { [PK]: { S: pk }, [SK]: { S: 'META' } },
    version: (version: number) => ({
      [PK]: { S: pk },
      [SK]: { S: `V#${String(version).padStart(10, '0')}` },
    }),
    alias: (alias: string) => ({ [PK]: { S: pk }, [SK]: { S: `ALIAS#${alias}` } }),
  };
}

function toVersion(item: Item): ModelVersion {
  return {
    name: item.name?.S ?? '',
    version: Number(item.version?.N),
    createdAt: Number(item.createdAt?.N),
    artifactUri: item.artifactUri?.S ?? '',
    artifactSha256: item.artifactSha256?.S ?? '',
    algorithm: item.algorithm?.S ?? '',
    params: JSON.parse(item.params?.S ?? '{}') as ModelVersion['params'],
    metrics: JSON.parse(item.metrics?.S ?? '{}') as ModelVersion['metrics'],
    datasetFingerprint: item.datasetFingerprint?.S ?? '',
    codeVersion: item.codeVersion?.S ?? '',
    ...(item.runId?.S === undefined ? {} : { runId: item.runId.S }),
  };
}

function toAlias(item: Item): AliasState {
  return {
    name: item.name?.S ?? '',
    alias: item.alias?.S ?? '',
    version: Number(item.version?.N),
    revision: Number(item.revision?.N),
    updatedAt: Number(item.updatedAt?.N),
    history: JSON.parse(item.history?.S ?? '[]') as AliasMove[],
  };
}

/** A {@link ModelRegistry} on the Documents table; see the module comment for the item layout. */
export class DynamoDbModelRegistry implements ModelRegistry {
  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly maxAttempts: number;

  constructor(props: DynamoDbModelRegistryProps) {
    this.dynamodb = props.client;
    this.tableName = props.tableName;
    this.now = props.now ?? Date.now;
    this.maxAttempts = props.maxAttempts ?? 20;
  }

  async registerVersion(name: string, input: NewModelVersion): Promise<ModelVersion> {
    validateModelName(name);
    const normalised = normaliseNewVersion(input);
    const keys = modelRegistryKeys(name);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      const counter = await transientAware('DynamoDB model registry call', () =>
        this.dynamodb.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: keys.meta,
            UpdateExpression: 'ADD nextVersion :one SET #name = :name',
            ExpressionAttributeNames: { '#name': 'name' },
            ExpressionAttributeValues: { ':one': { N: '1' }, ':name': { S: name } },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      const version = validateVersionNumber(Number(counter.Attributes?.nextVersion?.N));
      const stored: ModelVersion = { name, version, createdAt: this.now(), ...normalised };
      try {
        await transientAware('DynamoDB model registry call', () =>
          this.dynamodb.send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: {
                ...keys.version(version),
                name: { S: name },
                version: { N: String(version) },
                createdAt: { N: String(stored.createdAt) },
                artifactUri: { S: stored.artifactUri },
                artifactSha256: { S: stored.artifactSha256 },
                algorithm: { S: stored.algorithm },
                params: { S: JSON.stringify(stored.params) },
                metrics: { S: JSON.stringify(stored.metrics) },
                datasetFingerprint: { S: stored.datasetFingerprint },
                codeVersion: { S: stored.codeVersion },
                ...(stored.runId === undefined ? {} : { runId: { S: stored.runId } }),
              },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': PK },
            }),
          ),
        );
        return stored;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    throw new RegistryError(
      'conflict',
      `model ${name}: no free version number after ${this.maxAttempts} attempts`,
      'name',
    );
  }

  async getVersion(name: string, version: number): Promise<ModelVersion> {
    validateModelName(name);
    validateVersionNumber(version);
    const { Item } = await transientAware('DynamoDB model registry call', () =>
      this.dynamodb.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: modelRegistryKeys(name).version(version),
          ConsistentRead: true,
        }),
      ),
    );
    if (Item === undefined) {
      throw new RegistryError('not_found', `model ${name} has no version ${version}`, 'version');
    }
    return toVersion(Item);
  }

  async listVersions(name: string, options?: ListVersionsOptions): Promise<VersionPage> {
    validateModelName(name);
    const { limit, before } = validateListOptions(options);
    const keys = modelRegistryKeys(name);
    // One more than the page, so the cursor is present exactly when older versions remain.
    const page = await transientAware('DynamoDB model registry call', () =>
      this.dynamodb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression:
            before === undefined
              ? '#pk = :pk AND begins_with(#sk, :v)'
              : '#pk = :pk AND #sk BETWEEN :v AND :below',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: {
            ':pk': keys.meta[PK]!,
            ':v': { S: 'V#' },
            ...(before === undefined ? {} : { ':below': { S: keys.version(before - 1)[SK]!.S! } }),
          },
          ScanIndexForward: false,
          Limit: limit + 1,
          ConsistentRead: true,
        }),
      ),
    );
    const items = page.Items ?? [];
    if (items.length === 0 && before === undefined) {
      throw new RegistryError('not_found', `model ${name} has no version`, 'name');
    }
    const versions = items.slice(0, limit).map(toVersion);
    const last = versions[versions.length - 1];
    return items.length > limit && last !== undefined
      ? { versions, cursor: encodeVersionCursor(last.version) }
      : { versions };
  }

  async setAlias(name: string, alias: string, version: number, context: MoveContext): Promise<AliasState> {
    validateAlias(alias);
    const checked = validateMoveContext(context);
    await this.getVersion(name, version);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      const current = await this.readAlias(name, alias);
      const next = applyAliasMove(
        current,
        { name, alias, to: version, kind: 'set', at: this.now() },
        checked,
      );
      if (next === undefined) return current!;
      if (await this.writeAlias(next, current)) return next;
      // Lost the race: back off a little (jittered) so a crowd of movers spreads out, then re-read.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
    throw new RegistryError(
      'conflict',
      `alias ${alias} of model ${name} kept moving: not set after ${this.maxAttempts} attempts`,
      'alias',
    );
  }

  async getAlias(name: string, alias: string): Promise<AliasState> {
    validateModelName(name);
    validateAlias(alias);
    const state = await this.readAlias(name, alias);
    if (state === undefined)
      throw new RegistryError('not_found', `model ${name} has no alias ${alias}`, 'alias');
    return state;
  }

  async rollback(name: string, alias: string, context: MoveContext): Promise<AliasState> {
    const checked = validateMoveContext(context);
    const current = await this.getAlias(name, alias);
    const to = rollbackTarget(current);
    const next = applyAliasMove(current, { name, alias, to, kind: 'rollback', at: this.now() }, checked)!;
    if (await this.writeAlias(next, current)) return next;
    throw new RegistryError(
      'conflict',
      `alias ${alias} of model ${name} moved during the rollback; read it again and decide`,
      'alias',
    );
  }

  private async readAlias(name: string, alias: string): Promise<AliasState | undefined> {
    const { Item } = await transientAware('DynamoDB model registry call', () =>
      this.dynamodb.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: modelRegistryKeys(name).alias(alias),
          ConsistentRead: true,
        }),
      ),
    );
    return Item === undefined ? undefined : toAlias(Item);
  }

  /** Writes `next` if the alias is still as read (`previous`); false when another move got there first. */
  private async writeAlias(next: AliasState, previous: AliasState | undefined): Promise<boolean> {
    try {
      await transientAware('DynamoDB model registry call', () =>
        this.dynamodb.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              ...modelRegistryKeys(next.name).alias(next.alias),
              name: { S: next.name },
              alias: { S: next.alias },
              version: { N: String(next.version) },
              revision: { N: String(next.revision) },
              updatedAt: { N: String(next.updatedAt) },
              history: { S: JSON.stringify(next.history) },
            },
            ...(previous === undefined
              ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
              : {
                  ConditionExpression: '#revision = :revision',
                  ExpressionAttributeNames: { '#revision': 'revision' },
                  ExpressionAttributeValues: { ':revision': { N: String(previous.revision) } },
                }),
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
