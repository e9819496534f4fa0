/** Predict request validation: every problem names its field and the rule. */
import { describe, expect, it } from 'vitest';
import {
  instancesMatrix,
  MAX_INSTANCES,
  MAX_ISSUES,
  parsePredictRequest,
  ServingError,
} from '../../../src/core/serving/index.ts';

function issuesOf(run: () => unknown): {
  message: string;
  issues: readonly { path: string; rule: string; message: string }[];
} {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ServingError);
    const e = error as ServingError;
    expect(e.code).toBe('invalid');
    return { message: e.message, issues: e.issues };
  }
  throw new Error('expected a ServingError');
}

describe('parsePredictRequest', () => {
  it('defaults to the champion alias and keeps the rows as given', () => {
    // Act
    const request = parsePredictRequest({
      instances: [
        [1, 2],
        [3, 4],
      ],
    });

    // Assess
    expect(request).toEqual({
      instances: [
        [1, 2],
        [3, 4],
      ],
      selector: { alias: 'champion' },
    });
  });

  it('takes a version or an alias, and a shadow override', () => {
    // Act / Assess
    expect(parsePredictRequest({ instances: [[1]], version: 4, shadow: false })).toEqual({
      instances: [[1]],
      selector: { version: 4 },
      shadow: false,
    });
    expect(parsePredictRequest({ instances: [[1]], alias: 'challenger' }).selector).toEqual({
      alias: 'challenger',
    });
  });

  it('names a non-finite cell by its indices', () => {
    // Prepare: 1e999 is what JSON.parse turns into Infinity.
    const body = JSON.parse('{"instances": [[1, 2, "3"], [4, 1e999, 6], [null]]}');

    // Act
    const { issues } = issuesOf(() => parsePredictRequest(body));

    // Assess
    expect(issues).toEqual([
      { path: 'instances[0][2]', rule: 'finite', message: 'instances[0][2] is not a finite number' },
      { path: 'instances[1][1]', rule: 'finite', message: 'instances[1][1] is not a finite number' },
      { path: 'instances[2][0]', rule: 'finite', message: 'instances[2][0] is not a finite number' },
    ]);
  });

  it('refuses a missing, empty, oversized or non-array instances field', () => {
    // Act / Assess
    expect(issuesOf(() => parsePredictRequest({})).issues[0]).toMatchObject({
      path: 'instances',
      rule: 'required',
    });
    expect(issuesOf(() => parsePredictRequest({ instances: [] })).message).toBe(
      'invalid predict request: instances has 0 rows; expected 1 to 1000',
    );
    const tooMany = Array.from({ length: MAX_INSTANCES + 1 }, () => [1]);
    expect(issuesOf(() => parsePredictRequest({ instances: tooMany })).issues[0]).toMatchObject({
      path: 'instances',
      rule: 'length',
    });
    expect(issuesOf(() => parsePredictRequest({ instances: [1, 2] })).issues[0]).toEqual({
      path: 'instances[0]',
      rule: 'array',
      message: 'instances[0] is not an array of numbers',
    });
    expect(issuesOf(() => parsePredictRequest([[1]])).issues[0]).toMatchObject({
      path: '(body)',
      rule: 'object',
    });
  });

  it('refuses alias and version together, bad values and unknown fields, all at once', () => {
    // Act
    const { issues, message } = issuesOf(() =>
      parsePredictRequest({ instances: [[1]], alias: 'Champion', version: 0, shadow: 'yes', instance: [] }),
    );

    // Assess
    expect(issues.map((i) => `${i.path}:${i.rule}`)).toEqual([
      'instance:unknown',
      'alias:exclusive',
      'alias:pattern',
      'version:integer',
      'shadow:boolean',
    ]);
    expect(message).toBe(
      'invalid predict request: 5 problems, first: instance is not a field of a predict request (instances, alias, version, shadow)',
    );
  });

  it(`lists at most ${MAX_ISSUES} problems`, () => {
    // Prepare
    const rows = Array.from({ length: 100 }, () => [Number.NaN, Number.NaN]);

    // Act
    const { issues } = issuesOf(() => parsePredictRequest({ instances: rows }));

    // Assess
    expect(issues).toHaveLength(MAX_ISSUES);
  });
});

describe('instancesMatrix', () => {
  it('packs valid rows row-major', () => {
    // Act
    const X = instancesMatrix(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      3,
      { name: 'week-movement', version: 4 },
    );

    // Assess
    expect(X.rows).toBe(2);
    expect(X.cols).toBe(3);
    expect(Array.from(X.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('names each row with the wrong feature count, the model and the expected count', () => {
    // Prepare
    const rows = [new Array(12).fill(0), new Array(12).fill(0), new Array(12).fill(0), new Array(5).fill(0)];

    // Act
    const { message, issues } = issuesOf(() =>
      instancesMatrix(rows, 12, { name: 'week-movement', version: 4 }),
    );

    // Assess
    expect(message).toBe(
      'invalid predict request: instances[3] has 5 features; model week-movement v4 expects 12',
    );
    expect(issues).toEqual([
      {
        path: 'instances[3]',
        rule: 'features',
        message: 'instances[3] has 5 features; model week-movement v4 expects 12',
      },
    ]);
  });
});
