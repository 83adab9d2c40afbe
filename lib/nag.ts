import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for one wildcard resource that a grant
 * just gave `grantee`, and no other: the acknowledgement names the exact resource, so a
 * wider wildcard added later is still reported.
 *
 * cdk-nag names a finding by the resource as it appears in the template, with references
 * written `<LogicalId>` or `<LogicalId.Attribute>`; this resolves `resource` the same way,
 * so it must refer to resources or parameters of the grantee's own stack.
 */
export function acknowledgeWildcardResource(grantee: iam.IGrantable, resource: string, reason: string): void {
  const principal = grantee.grantPrincipal as unknown;
  if (!Construct.isConstruct(principal)) return;
  const flattened = flattenReference(Stack.of(principal).resolve(resource));
  Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flattened}]`, reason });
}

/** Acknowledges a cdk-nag rule on a construct and everything below it. */
export function acknowledgeRule(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Mirrors how cdk-nag prints a CloudFormation value in finding ids. */
function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenReference).join(delimiter);
    }
    if (node['Fn::Sub'] !== undefined) return flattenReference(node['Fn::Sub']);
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [logicalId, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(logicalId)}.${flattenReference(attribute)}>`;
    }
    if (node['Fn::ImportValue'] !== undefined) return flattenReference(node['Fn::ImportValue']);
    if (node.Ref !== undefined) return `<${flattenReference(node.Ref)}>`;
  }
  return JSON.stringify(value);
}
