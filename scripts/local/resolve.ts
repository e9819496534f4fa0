/**
 * Resolves the CloudFormation intrinsics that CDK puts into environment variables and references
 * (Ref, Fn::GetAtt, Fn::ImportValue, Fn::Join, Fn::Select, Fn::Split, Fn::Sub for pseudo parameters)
 * against the local resources. An intrinsic it cannot resolve is an error naming it, never a guess.
 */
import type { StackTemplate } from './assembly.ts';

export interface LocalResource {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  /** What `Ref` gives: a table, stream, bucket or queue name, or a function's local name. */
  readonly ref: string;
  /** What `Fn::GetAtt` gives, by attribute name (Arn, StreamArn, ...). */
  readonly attributes: Record<string, string>;
}

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export class Resolver {
  private readonly byStack = new Map<string, Map<string, LocalResource>>();
  private readonly exports = new Map<string, unknown>();
  private readonly exportStack = new Map<string, string>();

  constructor(private readonly stacks: readonly StackTemplate[]) {
    for (const { stackName, template } of stacks) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export && typeof output.Export.Name === 'string') {
          this.exports.set(output.Export.Name, output.Value);
          this.exportStack.set(output.Export.Name, stackName);
        }
      }
    }
  }

  add(resource: LocalResource): void {
    const stack = this.byStack.get(resource.stackName) ?? new Map<string, LocalResource>();
    this.byStack.set(resource.stackName, stack);
    stack.set(resource.logicalId, resource);
  }

  find(stackName: string, logicalId: string): LocalResource | undefined {
    return this.byStack.get(stackName)?.get(logicalId);
  }

  resolve(value: unknown, stackName: string): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, stackName));
    if (!value || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length !== 1 || !(keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
      return Object.fromEntries(keys.map((k) => [k, this.resolve(obj[k], stackName)]));
    }
    const key = keys[0]!;
    const arg = obj[key];
    switch (key) {
      case 'Ref':
        return this.ref(String(arg), stackName);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        const r = this.need(stackName, id!);
        const v = r.attributes[attr!];
        if (v === undefined)
          throw new Error(`local runtime: ${stackName}/${id} has no attribute ${attr} locally`);
        return v;
      }
      case 'Fn::ImportValue': {
        const name = String(this.resolve(arg, stackName));
        if (!this.exports.has(name)) throw new Error(`local runtime: no stack exports ${name}`);
        return this.resolve(this.exports.get(name), this.exportStack.get(name)!);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (parts.map((p) => this.resolve(p, stackName)) as unknown[]).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const resolved = this.resolve(list, stackName) as unknown[];
        return resolved[Number(this.resolve(index, stackName))];
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, unknown];
        return String(this.resolve(source, stackName)).split(sep);
      }
      case 'Fn::Sub': {
        const template = typeof arg === 'string' ? arg : String((arg as unknown[])[0]);
        return template.replace(/\$\{([^}]+)\}/g, (_, name: string) => String(this.ref(name, stackName)));
      }
      default:
        throw new Error(`local runtime: intrinsic ${key} is not supported`);
    }
  }

  private ref(name: string, stackName: string): string {
    switch (name) {
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      default:
        return this.need(stackName, name).ref;
    }
  }

  private need(stackName: string, logicalId: string): LocalResource {
    const r = this.find(stackName, logicalId);
    if (!r) {
      const type = this.stacks.find((s) => s.stackName === stackName)?.template.Resources[logicalId]?.Type;
      throw new Error(
        `local runtime: ${stackName}/${logicalId}${type ? ` (${type})` : ''} has no local counterpart`,
      );
    }
    return r;
  }
}
