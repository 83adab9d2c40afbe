/**
 * Findings into AWS Security Hub as ASFF. Security Hub has no local server: the client is
 * stubbed, and the document is checked against ASFF's required attributes and limits.
 */
import {
  BatchImportFindingsCommand,
  type BatchImportFindingsCommandInput,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import type { Finding } from '../../lambdas/shared/detections/finding';
import { defaultProductArn, SecurityHubSink, toAsff } from '../../lambdas/shared/detections/security-hub';
import { ALICE, audit, run } from './support';

const securityHub = mockClient(SecurityHubClient);
const PRODUCT = defaultProductArn('aws', 'eu-west-1', '123456789012');

/** What ASFF requires of every imported finding (AWS Security Finding Format, required attributes). */
const REQUIRED = [
  'AwsAccountId',
  'CreatedAt',
  'Description',
  'GeneratorId',
  'Id',
  'ProductArn',
  'Resources',
  'SchemaVersion',
  'Title',
  'UpdatedAt',
] as const;

describe('Security Hub', () => {
  let firewall: Finding;
  afterAll(() => securityHub.restore());
  beforeAll(async () => {
    [firewall] = (await run([audit(0, ALICE, { action: 'updatfw', object_type: 'account', uuid: 'FW1' })], {
      ruleId: 'firewall-rules-changed',
    })) as [Finding];
  });
  beforeEach(() => securityHub.reset());

  it('imports a finding as the account product, with every required attribute, the severity, MITRE type and runbook', async () => {
    securityHub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1 });

    await new SecurityHubSink(new SecurityHubClient({ region: 'eu-west-1' }), PRODUCT).send(firewall);

    const input = securityHub.commandCalls(BatchImportFindingsCommand)[0]?.args[0]
      .input as BatchImportFindingsCommandInput;
    const [asff] = input.Findings ?? [];
    for (const attribute of REQUIRED) expect(asff?.[attribute]).toBeDefined();
    expect(asff).toMatchObject({
      SchemaVersion: '2018-10-08',
      Id: firewall.id,
      ProductArn: 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default',
      AwsAccountId: '123456789012',
      GeneratorId: 'op-events-archive/firewall-rules-changed',
      Severity: { Label: firewall.severity },
      Title: firewall.title,
      Description: firewall.summary,
      Remediation: { Recommendation: { Text: firewall.runbook } },
      CreatedAt: firewall.time,
      Resources: [{ Type: 'Other', Details: { Other: { person: 'Alice Admin <alice@example.com>' } } }],
    });
    expect(asff?.Types?.[0]).toMatch(/^(TTPs|Effects|Unusual Behaviors)\//);
    expect(asff?.ProductFields?.['op-events-archive/evidence/0']).toBe(
      `${firewall.events[0]?.key}#${firewall.events[0]?.line}`,
    );
  });

  it('gives the same document, with the same Id, for the same finding, so a second import adds no second one', () => {
    expect(toAsff(firewall, PRODUCT)).toEqual(toAsff(firewall, PRODUCT));
  });

  it("keeps within ASFF's limits on a finding with long text and many events", () => {
    const [first] = firewall.events;
    if (!first) throw new Error('no event');
    const long: Finding = {
      ...firewall,
      title: 'T'.repeat(400),
      summary: 'S'.repeat(3000),
      runbook: 'R'.repeat(900),
      events: Array.from({ length: 60 }, (_, index) => ({ ...first, line: index + 1 })),
    };
    const asff = toAsff(long, PRODUCT);
    expect(asff.Title?.length).toBeLessThanOrEqual(256);
    expect(asff.Description?.length).toBeLessThanOrEqual(1024);
    expect(asff.Remediation?.Recommendation?.Text?.length).toBeLessThanOrEqual(512);
    expect(Object.keys(asff.ProductFields ?? {}).length).toBeLessThanOrEqual(50);
  });

  it('fails the delivery when Security Hub refuses the finding, naming why, so it is sent again', async () => {
    securityHub.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      SuccessCount: 0,
      FailedFindings: [
        { Id: firewall.id, ErrorCode: 'InvalidInput', ErrorMessage: 'Finding does not adhere to ASFF' },
      ],
    });
    await expect(
      new SecurityHubSink(new SecurityHubClient({ region: 'eu-west-1' }), PRODUCT).send(firewall),
    ).rejects.toThrow(/Security Hub refused finding .*InvalidInput Finding does not adhere to ASFF/);
  });
});
