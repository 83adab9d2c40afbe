import { CfnResolver, type CfnTemplate } from './cfn-resolver';

const template: CfnTemplate = {
  Parameters: { BucketArn: { Type: 'String' } },
  Resources: {
    Bucket: { Type: 'AWS::S3::Bucket' },
    Key: { Type: 'AWS::KMS::Key' },
    Topic: { Type: 'AWS::SNS::Topic' },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'alarms-dlq' } },
    Table: { Type: 'AWS::DynamoDB::Table' },
    Role: { Type: 'AWS::IAM::Role' },
    Secret: { Type: 'AWS::SecretsManager::Secret' },
    Function: {
      Type: 'AWS::Lambda::Function',
      Properties: { FunctionName: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'collector']] } },
    },
    Dashboard: { Type: 'AWS::CloudWatch::Dashboard' },
  },
};

const resolver = new CfnResolver(template, {
  account: '123456789012',
  region: 'eu-west-1',
  stackName: 'Archive',
  parameters: { BucketArn: 'arn:aws:s3:::given-bucket' },
});

describe('CloudFormation resolver', () => {
  it('gives pseudo parameters the fixed account and region', () => {
    expect(
      resolver.resolve({
        'Fn::Join': [':', [{ Ref: 'AWS::Partition' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }]],
      }),
    ).toBe('aws:eu-west-1:123456789012');
  });

  it('gives each resource type the Ref and ARN CloudFormation would, from a made-up name', () => {
    expect(resolver.resolve({ Ref: 'Bucket' })).toBe('archive-bucket');
    expect(resolver.resolve({ 'Fn::GetAtt': ['Bucket', 'Arn'] })).toBe('arn:aws:s3:::archive-bucket');
    expect(resolver.resolve({ 'Fn::GetAtt': ['Key', 'Arn'] })).toMatch(
      /^arn:aws:kms:eu-west-1:123456789012:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(resolver.resolve({ Ref: 'Topic' })).toBe('arn:aws:sns:eu-west-1:123456789012:Archive-Topic');
    expect(resolver.resolve({ Ref: 'Queue' })).toBe(
      'https://sqs.eu-west-1.amazonaws.com/123456789012/alarms-dlq',
    );
    expect(resolver.resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe(
      'arn:aws:sqs:eu-west-1:123456789012:alarms-dlq',
    );
    expect(resolver.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe(
      'arn:aws:dynamodb:eu-west-1:123456789012:table/Archive-Table',
    );
    expect(resolver.resolve({ 'Fn::GetAtt': ['Role', 'Arn'] })).toBe(
      'arn:aws:iam::123456789012:role/Archive-Role',
    );
    expect(resolver.resolve({ Ref: 'Secret' })).toBe(
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:Archive-Secret-AbCdEf',
    );
    expect(resolver.resolve({ 'Fn::GetAtt': 'Function.Arn' })).toBe(
      'arn:aws:lambda:eu-west-1:123456789012:function:Archive-collector',
    );
  });

  it('gives the same reference the same value every time, and two keys two ids', () => {
    const other = new CfnResolver(template, {
      account: '123456789012',
      region: 'eu-west-1',
      stackName: 'Other',
    });

    expect(resolver.resolve({ Ref: 'Key' })).toBe(resolver.resolve({ Ref: 'Key' }));
    expect(other.resolve({ Ref: 'Key' })).not.toBe(resolver.resolve({ Ref: 'Key' }));
  });

  it('reads parameters from the values handed in', () => {
    expect(resolver.resolve({ 'Fn::Join': ['', [{ Ref: 'BucketArn' }, '/source=prod/*']] })).toBe(
      'arn:aws:s3:::given-bucket/source=prod/*',
    );
    expect(() =>
      new CfnResolver(template, { account: '1', region: 'r', stackName: 's' }).resolve({ Ref: 'BucketArn' }),
    ).toThrow('no value for parameter BucketArn');
  });

  it('substitutes Fn::Sub references, attributes and variables, and keeps escaped placeholders', () => {
    expect(
      resolver.resolve({
        'Fn::Sub': [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
          '${Bucket.Arn}/${Prefix}* in ${AWS::Region}, ${!Literal}',
          { Prefix: { 'Fn::Join': ['', ['source', '=']] } },
        ],
      }),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: what Fn::Sub makes of an escaped placeholder
    ).toBe('arn:aws:s3:::archive-bucket/source=* in eu-west-1, ${Literal}');
  });

  it('selects and splits', () => {
    expect(
      resolver.resolve({ 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Queue', 'Arn'] }] }] }),
    ).toBe('aws');
  });

  it('resolves inside nested objects and lists, and leaves plain values alone', () => {
    expect(
      resolver.resolve({ Statement: [{ Effect: 'Allow', Resource: [{ Ref: 'Bucket' }, '*'], Count: 1 }] }),
    ).toEqual({ Statement: [{ Effect: 'Allow', Resource: ['archive-bucket', '*'], Count: 1 }] });
  });

  it('refuses what it does not know rather than guess', () => {
    expect(() => resolver.resolve({ Ref: 'Dashboard' })).toThrow('Ref of AWS::CloudWatch::Dashboard');
    expect(() => resolver.resolve({ 'Fn::GetAtt': ['Bucket', 'WebsiteURL'] })).toThrow('WebsiteURL');
    expect(() => resolver.resolve({ 'Fn::ImportValue': 'x' })).toThrow('Fn::ImportValue is not supported');
    expect(() => resolver.resolve({ Ref: 'Missing' })).toThrow('no resource Missing');
  });
});
