/**
 * Findings to AWS Security Hub, in the AWS Security Finding Format (ASFF) through
 * `BatchImportFindings`, as the account's own product (`product/<account>/default`).
 */
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import type { FindingSink } from './delivery';
import { describePerson, type Finding } from './finding';

/** ASFF `Types` for each MITRE ATT&CK tactic the rules name (namespace/category). */
const TYPE_BY_TACTIC: Readonly<Record<string, string>> = {
  TA0001: 'TTPs/Initial Access',
  TA0003: 'TTPs/Persistence',
  TA0004: 'TTPs/Privilege Escalation',
  TA0005: 'TTPs/Defense Evasion',
  TA0006: 'TTPs/Credential Access',
  TA0007: 'TTPs/Discovery',
  TA0009: 'TTPs/Collection',
  TA0010: 'Effects/Data Exfiltration',
};

/** ASFF caps: a title 256 characters, a description 1,024, a recommendation 512, a field value 2,048. */
const cap = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);

/** The `arn:…:securityhub:<region>:<account>:product/<account>/default` findings are imported as. */
export function defaultProductArn(partition: string, region: string, account: string): string {
  return `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`;
}

/**
 * A finding as ASFF. Its `Id` is the finding's own, which Security Hub keys findings by (with
 * the product ARN), so importing it again adds no second one; its times are the triggering
 * event's, so the same finding always gives the same document.
 */
export function toAsff(finding: Finding, productArn: string): AwsSecurityFinding {
  const [, partition = 'aws', , region = '', account = ''] = productArn.split(':');
  const types = [TYPE_BY_TACTIC[finding.mitre.tactic] ?? 'Unusual Behaviors/User'];
  const details: Record<string, string> = {
    person: describePerson(finding.person),
    ...(finding.person?.uuid ? { personUuid: finding.person.uuid } : {}),
    ...(finding.ip ? { ip: finding.ip } : {}),
    ...(finding.country ? { country: finding.country } : {}),
    ...(finding.vaultUuid ? { vaultUuid: finding.vaultUuid } : {}),
    ...(finding.itemUuid ? { itemUuid: finding.itemUuid } : {}),
  };
  // ProductFields holds at most 50 entries: the rule, the source and the first events' keys.
  const evidence = Object.fromEntries(
    finding.events
      .slice(0, 40)
      .map((ref, index) => [`op-events-archive/evidence/${index}`, cap(`${ref.key}#${ref.line}`, 2048)]),
  );
  return {
    SchemaVersion: '2018-10-08',
    Id: finding.id,
    ProductArn: productArn,
    ProductName: '1Password Events Archive',
    CompanyName: '1Password',
    GeneratorId: `op-events-archive/${finding.ruleId}`,
    AwsAccountId: account,
    Region: region,
    Types: types,
    FirstObservedAt: finding.time,
    LastObservedAt: finding.time,
    CreatedAt: finding.time,
    UpdatedAt: finding.time,
    Severity: { Label: finding.severity },
    FindingProviderFields: { Severity: { Label: finding.severity }, Types: types },
    Title: cap(finding.title, 256),
    Description: cap(finding.summary, 1024),
    Remediation: { Recommendation: { Text: cap(finding.runbook, 512) } },
    ProductFields: {
      'op-events-archive/ruleId': finding.ruleId,
      'op-events-archive/source': finding.source,
      'op-events-archive/mitre': `${finding.mitre.technique} ${finding.mitre.name}`,
      'op-events-archive/events': String(finding.events.length),
      ...evidence,
    },
    Resources: [
      {
        Type: 'Other',
        Id: `1password:${finding.source}:${finding.person?.uuid ?? finding.person?.email ?? 'account'}`,
        Partition: partition as 'aws',
        Region: region,
        Details: { Other: details },
      },
    ],
    RecordState: 'ACTIVE',
    Workflow: { Status: 'NEW' },
  };
}

export class SecurityHubSink implements FindingSink {
  readonly name = 'securityhub';
  constructor(
    private readonly client: SecurityHubClient,
    private readonly productArn: string,
  ) {}

  async send(finding: Finding): Promise<void> {
    const result = await this.client.send(
      new BatchImportFindingsCommand({ Findings: [toAsff(finding, this.productArn)] }),
    );
    if ((result.FailedCount ?? 0) > 0) {
      const failed = result.FailedFindings?.[0];
      throw new Error(
        `Security Hub refused finding ${finding.id}: ${failed?.ErrorCode ?? '?'} ${failed?.ErrorMessage ?? ''}`.trim(),
      );
    }
  }
}
