import { Match, type Template } from 'aws-cdk-lib/assertions';
import { KEY_ARN, resourcesOf, SECRET_ARN, synth, withArchive } from './helpers';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Statements of the one policy attached to the role whose logical id starts with `rolePrefix`. */
function policyStatements(template: Template, rolePrefix = 'CollectorFunctionRole'): Statement[] {
  const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as { Ref: string }[]).some(({ Ref }) => Ref.startsWith(rolePrefix)),
  );
  expect(policies).toHaveLength(1);
  const [policy] = policies;
  if (!policy) throw new Error(`no IAM policy for ${rolePrefix}`);
  return (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}

/** A CloudFormation string with its references written as `<Ref>` or `<Id.Attr>`, for readable assertions. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (Array.isArray(node['Fn::Join'])) {
    const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(delimiter);
  }
  if (node.Ref !== undefined) return `<${String(node.Ref)}>`;
  if (Array.isArray(node['Fn::GetAtt'])) return `<${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  return JSON.stringify(value);
}

function alarms(template: Template): Record<string, Record<string, unknown>> {
  const byName: Record<string, Record<string, unknown>> = {};
  for (const alarm of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))) {
    byName[alarm.Properties.AlarmName as string] = alarm.Properties;
  }
  return byName;
}

/** One entry of a metric-math alarm's `Metrics`. */
interface AlarmMetric {
  readonly Expression?: string;
  readonly MetricStat?: { readonly Metric: { readonly Namespace: string; readonly MetricName: string } };
}

const regionalService = (service: string) => ({
  'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.amazonaws.com']],
});

describe('source collector (one nested stack per source)', () => {
  const deployment = synth(
    withArchive({
      archive: { prefix: '1password/' },
      sources: [
        { name: 'prod', server: 'eu', eventTypes: ['signinattempts', 'itemusages'], startFrom: 'P7D' },
        {
          name: 'acme',
          tokenSecretArn: SECRET_ARN,
          tokenSecretKmsKeyArn: KEY_ARN,
          schedule: 'rate(10 minutes)',
        },
        { name: 'paused', enabled: false, dropOffHours: { auditevents: false } },
        {
          name: 'quiet',
          dropOffHours: { auditevents: 72, itemusages: false },
          dropOffRhythm: { signinattempts: false },
          dropOffCeilingHours: { auditevents: 240 },
          behindThresholdHours: 2,
        },
      ],
    }),
  );
  const prod = deployment.source('prod');

  describe('least privilege', () => {
    it('grants exactly the actions and resources of its own source, and nothing else', () => {
      expect(policyStatements(prod)).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CollectorFunctionLogGroup/), 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          Resource: { Ref: expect.stringMatching(/^CollectorTokenSecret/) },
        },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { Ref: 'ArchiveKeyArn' },
          // Only for this secret: the key also encrypts the archive, the state and other sources' secrets.
          Condition: {
            StringEquals: { 'kms:ViaService': regionalService('secretsmanager') },
            StringLike: {
              'kms:EncryptionContext:SecretARN': { Ref: expect.stringMatching(/^CollectorTokenSecret/) },
            },
          },
        },
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: { 'Fn::Join': ['', [{ Ref: 'ArchiveBucketArn' }, '/1password/source=prod/*']] },
        },
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { Ref: 'ArchiveBucketArn' },
          Condition: { StringLike: { 's3:prefix': ['1password/source=prod/*'] } },
        },
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: { Ref: 'ArchiveKeyArn' },
          // The bucket key's context is the bucket's ARN; an object's, without a bucket key.
          Condition: {
            StringEquals: { 'kms:ViaService': regionalService('s3') },
            StringLike: {
              'kms:EncryptionContext:aws:s3:arn': [
                { Ref: 'ArchiveBucketArn' },
                { 'Fn::Join': ['', [{ Ref: 'ArchiveBucketArn' }, '/1password/source=prod/*']] },
              ],
            },
          },
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: { Ref: 'StateTableArn' },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['prod#*'] } },
        },
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: { Ref: 'StateTableKeyArn' },
          Condition: {
            StringEquals: { 'kms:ViaService': regionalService('dynamodb') },
            StringLike: { 'kms:EncryptionContext:aws:dynamodb:tableName': expect.anything() },
          },
        },
        {
          Effect: 'Allow',
          Action: 'kms:DescribeKey',
          Resource: { Ref: 'StateTableKeyArn' },
          Condition: { StringEquals: { 'kms:ViaService': regionalService('dynamodb') } },
        },
      ]);
    });

    it('has no wildcard action, and no wildcard resource beyond its own archive prefix', () => {
      for (const { collector } of deployment.stack.sources) {
        const template = deployment.source(collector.sourceName);
        const statements = [
          ...policyStatements(template),
          ...policyStatements(template, 'CollectorScheduleRole'),
        ];
        for (const statement of statements) {
          for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
          const resource = flatten(statement.Resource);
          if (resource.includes('*'))
            expect(resource).toBe(`<ArchiveBucketArn>/1password/source=${collector.sourceName}/*`);
        }
      }
    });

    it('carries no managed policy', () => {
      prod.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        },
        ManagedPolicyArns: Match.absent(),
      });
    });

    it('reads an existing secret by its ARN and decrypts it only through Secrets Manager', () => {
      const acme = deployment.source('acme');

      acme.resourceCountIs('AWS::SecretsManager::Secret', 0);
      expect(policyStatements(acme)).toEqual(
        expect.arrayContaining([
          {
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: SECRET_ARN,
          },
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: KEY_ARN,
            Condition: {
              StringEquals: { 'kms:ViaService': regionalService('secretsmanager') },
              StringLike: { 'kms:EncryptionContext:SecretARN': SECRET_ARN },
            },
          },
        ]),
      );
    });
  });

  describe('token secret', () => {
    it('is created empty, encrypted with the deployment key, for the operator to fill', () => {
      prod.hasResourceProperties('AWS::SecretsManager::Secret', {
        SecretString: '{"token":""}',
        KmsKeyId: { Ref: 'ArchiveKeyArn' },
        GenerateSecretString: Match.absent(),
      });
    });
  });

  describe('function', () => {
    it('runs the house runtime: Node.js 24 on ARM64, 512 MB, 5 minutes, JSON logs', () => {
      prod.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'op-events-archive-prod',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 300,
        Handler: 'index.handler',
        LoggingConfig: {
          LogFormat: 'JSON',
          LogGroup: { Ref: Match.stringLikeRegexp('^CollectorFunctionLogGroup') },
        },
      });
    });

    it('gets exactly the environment of the runtime contract', () => {
      const [fn] = Object.values(resourcesOf(prod, 'AWS::Lambda::Function'));
      if (!fn) throw new Error('no function');
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

      expect(Object.keys(variables).sort()).toEqual(
        [
          'ARCHIVE_BUCKET',
          'ARCHIVE_PREFIX',
          'DROP_OFF_CEILING_SECONDS',
          'DROP_OFF_SECONDS',
          'EVENTS_API_URL',
          'EVENT_TYPES',
          'NODE_OPTIONS',
          'POWERTOOLS_METRICS_NAMESPACE',
          'POWERTOOLS_SERVICE_NAME',
          'SOURCE_NAME',
          'START_FROM',
          'STATE_TABLE',
          'TOKEN_SECRET_ID',
        ].sort(),
      );
      expect(variables).toMatchObject({
        SOURCE_NAME: 'prod',
        TOKEN_SECRET_ID: { Ref: expect.stringMatching(/^CollectorTokenSecret/) },
        EVENTS_API_URL: 'https://events.1password.eu',
        EVENT_TYPES: 'signinattempts,itemusages',
        ARCHIVE_BUCKET: { Ref: 'ArchiveBucketName' },
        ARCHIVE_PREFIX: '1password/',
        START_FROM: 'P7D',
        POWERTOOLS_SERVICE_NAME: 'op-events-collector',
        POWERTOOLS_METRICS_NAMESPACE: 'OnePasswordEventsArchive',
        NODE_OPTIONS: '--enable-source-maps',
      });
      // The table name, cut out of the table ARN parameter.
      expect(JSON.stringify(variables.STATE_TABLE)).toContain('{"Ref":"StateTableArn"}');
    });

    it('leaves the server, event types and start to the collector when the config does', () => {
      const acme = deployment.source('acme');

      acme.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            TOKEN_SECRET_ID: SECRET_ARN,
            EVENTS_API_URL: Match.absent(),
            EVENT_TYPES: Match.absent(),
            START_FROM: Match.absent(),
            ALLOW_CUSTOM_EVENTS_API_URL: Match.absent(),
          }),
        },
      });
    });

    it('reserves one concurrent execution by default, and none when the config switches it off', () => {
      const unreserved = synth(
        withArchive({ collector: { reservedConcurrency: false }, sources: [{ name: 'prod' }] }),
      );

      prod.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 });
      unreserved
        .source('prod')
        .hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
    });

    it('keeps its logs for the configured retention, also after the source is removed', () => {
      prod.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: 365 },
        DeletionPolicy: 'Retain',
      });
    });

    it('is not retried by Lambda: the next tick is the retry', () => {
      prod.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    });
  });

  describe('schedule', () => {
    const schedule = (template: Template) => {
      const [resource] = Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule'));
      if (!resource) throw new Error('no schedule');
      return resource.Properties;
    };

    it('is an EventBridge Scheduler schedule named like the function, in the deployment’s group', () => {
      prod.resourceCountIs('AWS::Scheduler::Schedule', 1);
      prod.resourceCountIs('AWS::Events::Rule', 0);
      expect(schedule(prod)).toMatchObject({
        Name: 'op-events-archive-prod',
        GroupName: { Ref: 'ScheduleGroupName' },
        Target: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^CollectorFunction/), 'Arn'] } },
      });
      deployment.parent.hasResourceProperties('AWS::CloudFormation::Stack', {
        Parameters: Match.objectLike({ ScheduleGroupName: 'op-events-archive' }),
      });
    });

    it('runs every minute by default, on the tick: no flexible time window', () => {
      expect(schedule(prod)).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
      });
      expect(schedule(prod).FlexibleTimeWindow).not.toHaveProperty('MaximumWindowInMinutes');
    });

    it('follows the configured rate', () => {
      expect(schedule(deployment.source('acme'))).toMatchObject({
        ScheduleExpression: 'rate(10 minutes)',
        State: 'ENABLED',
      });
    });

    it('does not retry: the next tick is the retry, and a failed invocation goes to its dead-letter queue', () => {
      expect(schedule(prod)).toMatchObject({
        Target: {
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [expect.stringMatching(/^CollectorScheduleDeadLetterQueue/), 'Arn'] },
          },
        },
      });
    });

    it('keeps failed invocations 14 days, encrypted with the deployment key, reachable only over TLS', () => {
      prod.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: 'op-events-archive-prod-schedule-dlq',
        KmsMasterKeyId: { Ref: 'ArchiveKeyArn' },
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      prod.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('invokes through a role that may invoke this function only, and send its failures to its queue', () => {
      expect(policyStatements(prod, 'CollectorScheduleRole')).toEqual([
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: { Ref: 'ArchiveKeyArn' },
          Condition: {
            StringEquals: { 'kms:ViaService': regionalService('sqs') },
            StringLike: {
              'kms:EncryptionContext:aws:sqs:arn': {
                'Fn::GetAtt': [expect.stringMatching(/^CollectorScheduleDeadLetterQueue/), 'Arn'],
              },
            },
          },
        },
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CollectorFunction[0-9A-F]{8}$/), 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CollectorScheduleDeadLetterQueue/), 'Arn'] },
        },
      ]);
      // No resource policy on the function: only the role may invoke it.
      prod.resourceCountIs('AWS::Lambda::Permission', 0);
    });

    it('lets only the deployment’s schedule group, in this account, assume its role', () => {
      prod.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: {
                StringEquals: {
                  'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                  'aws:SourceArn': {
                    'Fn::Join': [
                      '',
                      [
                        'arn:',
                        { Ref: 'AWS::Partition' },
                        ':scheduler:',
                        { Ref: 'AWS::Region' },
                        ':',
                        { Ref: 'AWS::AccountId' },
                        ':schedule-group/',
                        { Ref: 'ScheduleGroupName' },
                      ],
                    ],
                  },
                },
              },
            },
          ],
        },
        ManagedPolicyArns: Match.absent(),
      });
    });

    it('starts only once its role may invoke the function', () => {
      const [resource] = Object.values(prod.findResources('AWS::Scheduler::Schedule'));

      expect(resource?.DependsOn).toEqual(
        expect.arrayContaining([expect.stringMatching(/^CollectorScheduleRoleDefaultPolicy/)]),
      );
    });

    it('is disabled for a paused source, which keeps its function and secret', () => {
      const paused = deployment.source('paused');

      expect(schedule(paused)).toMatchObject({ Name: 'op-events-archive-paused', State: 'DISABLED' });
      paused.resourceCountIs('AWS::Lambda::Function', 1);
      paused.resourceCountIs('AWS::SecretsManager::Secret', 1);
    });
  });

  describe('alarms', () => {
    it('come as one set per source, whatever its streams, named from one prefix', () => {
      expect(Object.keys(alarms(prod)).sort()).toEqual(
        [
          'op-events-archive-prod-drop-off',
          'op-events-archive-prod-falling-behind',
          'op-events-archive-prod-cursor-reset',
          'op-events-archive-prod-collector-errors',
          'op-events-archive-prod-no-successful-run',
          'op-events-archive-prod-auth-failure',
          'op-events-archive-prod-schedule-failed',
        ].sort(),
      );
      expect(Object.keys(alarms(deployment.source('acme')))).toHaveLength(7);
    });

    it('all notify the alarm topic, on alarm and on recovery', () => {
      for (const { collector } of deployment.stack.sources) {
        for (const alarm of Object.values(alarms(deployment.source(collector.sourceName)))) {
          expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopicArn' }]);
          expect(alarm.OKActions).toEqual([{ Ref: 'AlarmTopicArn' }]);
        }
      }
    });

    it('drop-off: fires on any silence a run reports past its stream’s limit; no report is the no-successful-run alarm’s', () => {
      expect(alarms(prod)['op-events-archive-prod-drop-off']).toMatchObject({
        Namespace: 'OnePasswordEventsArchive',
        MetricName: 'SecondsSinceArchived',
        Dimensions: [{ Name: 'Source', Value: 'prod' }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('drop-off: tells each collector its streams’ windows, so a run reports the gauge only past them', () => {
      const variables = (template: Template) =>
        (
          Object.values(resourcesOf(template, 'AWS::Lambda::Function'))[0]?.Properties.Environment as
            | { Variables: Record<string, unknown> }
            | undefined
        )?.Variables;
      expect(variables(prod)).toMatchObject({
        DROP_OFF_SECONDS: 'signinattempts=86400,itemusages=86400',
        DROP_OFF_CEILING_SECONDS: 'signinattempts=604800,itemusages=604800',
      });
      // auditevents 72 h and learning with a 10-day ceiling, signinattempts on its fixed
      // window, itemusages without a drop-off alarm.
      expect(variables(deployment.source('quiet'))).toMatchObject({
        DROP_OFF_SECONDS: 'signinattempts=86400,auditevents=259200',
        DROP_OFF_CEILING_SECONDS: 'auditevents=864000',
      });
    });

    it('drop-off: says what each stream is judged by, and how to override it', () => {
      const description = flatten(
        alarms(deployment.source('quiet'))['op-events-archive-quiet-drop-off']?.AlarmDescription,
      );

      expect(description).toContain('signinattempts: silent 24 h (fixed window)');
      expect(description).toContain(
        'auditevents: silent 3 x its usual silence at that hour of the week, at least 2 h, at most 240 h (72 h while its first 14 days are learned)',
      );
      expect(description).not.toContain('itemusages');
      expect(description).toContain('"stream silent past its rhythm"');
      expect(description).toContain('sources[].dropOffRhythm.<stream> false');
    });

    it('falling behind: the newest archived event older than the threshold for 3 periods, missing data fine', () => {
      expect(alarms(prod)['op-events-archive-prod-falling-behind']).toMatchObject({
        MetricName: 'BehindSeconds',
        Dimensions: [{ Name: 'Source', Value: 'prod' }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 6 * 3600,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarms(deployment.source('quiet'))['op-events-archive-quiet-falling-behind']).toMatchObject({
        Threshold: 2 * 3600,
      });
    });

    it('cursor reset: any restart of the stream from a time in 5 minutes, missing data fine', () => {
      expect(alarms(prod)['op-events-archive-prod-cursor-reset']).toMatchObject({
        Namespace: 'OnePasswordEventsArchive',
        MetricName: 'CursorResets',
        Dimensions: [{ Name: 'Source', Value: 'prod' }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopicArn' }],
        OKActions: [{ Ref: 'AlarmTopicArn' }],
      });
    });

    it('collector errors: Lambda errors in 3 periods in a row', () => {
      expect(alarms(prod)['op-events-archive-prod-collector-errors']).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^CollectorFunction/) } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 3,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('no successful run: no invocation without an error in 3 periods, from AWS/Lambda, missing data breaching', () => {
      const alarm = alarms(prod)['op-events-archive-prod-no-successful-run'];
      expect(alarm).toMatchObject({
        EvaluationPeriods: 3,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
      const metrics = alarm?.Metrics as AlarmMetric[];
      expect(metrics.find((metric) => metric.Expression)).toMatchObject({
        Expression: 'FILL(invocations, 0) - FILL(errors, 0)',
        ReturnData: true,
      });
      for (const name of ['Invocations', 'Errors']) {
        expect(
          metrics.find((metric) => metric.MetricStat?.Metric.MetricName === name)?.MetricStat,
        ).toMatchObject({
          Metric: {
            Namespace: 'AWS/Lambda',
            Dimensions: [
              { Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^CollectorFunction/) } },
            ],
          },
          Period: 300,
          Stat: 'Sum',
        });
      }
    });

    it('every alarm on the project’s own metrics fires on a high Maximum, which points another function adds cannot lower', () => {
      // CloudWatch takes negative values: a point another function prints lowers a Sum, an
      // Average or a Minimum, never a Maximum.
      for (const { collector } of deployment.stack.sources) {
        for (const [name, alarm] of Object.entries(alarms(deployment.source(collector.sourceName)))) {
          if (alarm.Namespace !== 'OnePasswordEventsArchive') continue;
          expect({
            name,
            statistic: alarm.Statistic,
            comparison: String(alarm.ComparisonOperator).startsWith('GreaterThan'),
          }).toEqual({
            name,
            statistic: 'Maximum',
            comparison: true,
          });
        }
      }
    });

    it('no alarm that fires on missing or low data reads a metric another function could publish', () => {
      // Any function can print EMF into the project's namespace under any Source: such points
      // can only add data. An alarm that fires on absence or on a low value must therefore read
      // AWS/ metrics only, which nobody but AWS publishes.
      for (const { collector } of deployment.stack.sources) {
        for (const [name, alarm] of Object.entries(alarms(deployment.source(collector.sourceName)))) {
          const lowOrMissing =
            String(alarm.ComparisonOperator).startsWith('LessThan') || alarm.TreatMissingData === 'breaching';
          if (!lowOrMissing) continue;
          const namespaces = alarm.Metrics
            ? (alarm.Metrics as AlarmMetric[]).flatMap((metric) =>
                metric.MetricStat ? [metric.MetricStat.Metric.Namespace] : [],
              )
            : [alarm.Namespace];
          expect({
            name,
            namespaces: namespaces.filter((namespace) => !String(namespace).startsWith('AWS/')),
          }).toEqual({
            name,
            namespaces: [],
          });
        }
      }
    });

    it('widens the run alarms’ period to a slower schedule', () => {
      const acme = alarms(deployment.source('acme'));

      expect(acme['op-events-archive-acme-no-successful-run']).toMatchObject({ EvaluationPeriods: 3 });
      expect(JSON.stringify(acme['op-events-archive-acme-no-successful-run'])).toContain('"Period":600');
      expect(acme['op-events-archive-acme-collector-errors']).toMatchObject({ Period: 600 });
    });

    it('auth failure: any 401/403 in 5 minutes, missing data fine', () => {
      expect(alarms(prod)['op-events-archive-prod-auth-failure']).toMatchObject({
        MetricName: 'AuthFailures',
        Dimensions: [{ Name: 'Source', Value: 'prod' }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('schedule failed: any invocation waiting in the schedule’s dead-letter queue, missing data fine', () => {
      expect(alarms(prod)['op-events-archive-prod-schedule-failed']).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: {
              'Fn::GetAtt': [expect.stringMatching(/^CollectorScheduleDeadLetterQueue/), 'QueueName'],
            },
          },
        ],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('stay quiet for a paused source: no drop-off or no-successful-run alarms', () => {
      expect(Object.keys(alarms(deployment.source('paused'))).sort()).toEqual(
        [
          'op-events-archive-paused-falling-behind',
          'op-events-archive-paused-cursor-reset',
          'op-events-archive-paused-collector-errors',
          'op-events-archive-paused-auth-failure',
          'op-events-archive-paused-schedule-failed',
        ].sort(),
      );
    });

    it('say what happened and what to do first', () => {
      const descriptions = Object.fromEntries(
        Object.entries(alarms(prod)).map(([name, alarm]) => [name, flatten(alarm.AlarmDescription)]),
      );

      expect(descriptions['op-events-archive-prod-auth-failure']).toMatch(
        /rejected the token of source prod \(401\/403\).*aws secretsmanager put-secret-value --secret-id <CollectorTokenSecret\w+> --secret-string file:\/\/token\.txt.*README: Operate > Auth failure/,
      );
      expect(descriptions['op-events-archive-prod-drop-off']).toMatch(
        /A stream of 1Password source prod has archived nothing for longer than its rhythm allows.*itemusages: silent 3 x its usual silence.*First: read which stream, how long, and what was learned.*aws logs tail <CollectorFunctionLogGroup\w+>.*To override.*README: Operate > Drop-off/,
      );
      expect(descriptions['op-events-archive-prod-collector-errors']).toMatch(
        /aws logs tail <CollectorFunctionLogGroup\w+>/,
      );
      expect(descriptions['op-events-archive-prod-cursor-reset']).toMatch(
        /rejected the stored cursor of a stream of source prod.*"stream cursor reset".*aws logs tail <CollectorFunctionLogGroup\w+>.*restart time.*loss window.*120-day retention.*Record a loss window.*repeat every run, open an issue.*README: Operate > Cursor reset/,
      );
      expect(descriptions['op-events-archive-prod-no-successful-run']).toMatch(
        /its schedule <CollectorSchedule\w+> is ENABLED/,
      );
      expect(descriptions['op-events-archive-prod-schedule-failed']).toMatch(
        /The schedule <CollectorSchedule\w+> of 1Password source prod could not invoke function <CollectorFunction\w+>.*deleted.*throttled.*aws sqs receive-message --queue-url <CollectorScheduleDeadLetterQueue\w+>.*purge the queue.*README: Operate > Schedule failed/,
      );
      for (const description of Object.values(descriptions)) {
        expect(description).toMatch(/README: Operate > /);
        expect(description.length).toBeLessThan(1024);
      }
    });
  });
});
