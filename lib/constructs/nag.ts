import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Minimum length of an acknowledgement reason; checked by the nag tests. */
export const MIN_REASON_LENGTH = 10;

/**
 * Acknowledges a cdk-nag rule (v3: `Validations.acknowledge`) on a construct and everything below it.
 *
 * @example
 * acknowledge(logsBucket, 'AwsSolutions-S1', 'This is the access-log bucket; logging it would loop.');
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(
      `nag acknowledgement of ${id} needs a reason of at least ${MIN_REASON_LENGTH} characters`,
    );
  }
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Flattens a resolved CloudFormation value the way cdk-nag names IAM5 findings
 * (`<Logical.Attr>`, `<Ref>`, joins concatenated, imports by export name).
 */
export function flattenCfnValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfnValue).join(delimiter);
    }
    if (node['Fn::Sub'] !== undefined) return flattenCfnValue(node['Fn::Sub']);
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnValue(resource)}.${flattenCfnValue(attribute)}>`;
    }
    if (node['Fn::ImportValue'] !== undefined) return flattenCfnValue(node['Fn::ImportValue']);
    if (node.Ref !== undefined) return `<${flattenCfnValue(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges AwsSolutions-IAM5 for one wildcard resource ARN (e.g. an S3 prefix `arn/events/*`).
 *
 * The finding id embeds the ARN as it reads in the final template, which for a resource of another stack is
 * an `Fn::ImportValue` that exists only after CDK has prepared the app. So the id is computed in a construct
 * validation hook (run after references are resolved and before policy validation plugins).
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(`IAM5 acknowledgement needs a reason of at least ${MIN_REASON_LENGTH} characters`);
  }
  let done = false;
  scope.node.addValidation({
    validate: () => {
      if (!done) {
        const flat = flattenCfnValue(Stack.of(scope).resolve(resourceArn));
        Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
        done = true;
      }
      return [];
    },
  });
}
