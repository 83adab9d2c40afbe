import { createHash } from 'node:crypto';

/**
 * Turns a synthesized CloudFormation template into the concrete values CloudFormation would
 * give it in one fixed, fake account and region, so that its IAM policies can be evaluated
 * offline. Physical names are made up from the stack name and the logical id, the way a
 * deployment would have its own: what matters is that the same reference always gives the
 * same ARN, and that two resources never share one.
 *
 * It knows the intrinsic functions and the resource types this app's policies refer to, and
 * throws on anything else rather than guessing.
 */

/** A template as `Template.toJSON()` returns it. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, unknown>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface ResolverOptions {
  readonly account: string;
  readonly region: string;
  /** Name of the stack; it makes the physical names of its resources. */
  readonly stackName: string;
  /** Values of the template's parameters (a nested stack gets them from its parent). */
  readonly parameters?: Readonly<Record<string, string>>;
}

const PARTITION = 'aws';
const URL_SUFFIX = 'amazonaws.com';

export class CfnResolver {
  constructor(
    private readonly template: CfnTemplate,
    private readonly options: ResolverOptions,
  ) {}

  /** `value` with every intrinsic function replaced by its result. */
  resolve<T = unknown>(value: unknown): T {
    return this.resolveValue(value) as T;
  }

  /** What `{ Ref: logicalId }` gives. */
  ref(logicalId: string): string {
    const pseudo = this.pseudoParameter(logicalId);
    if (pseudo !== undefined) return pseudo;
    const parameter = this.options.parameters?.[logicalId];
    if (parameter !== undefined) return parameter;
    if (this.template.Parameters?.[logicalId] !== undefined) {
      throw new Error(`no value for parameter ${logicalId} of stack ${this.options.stackName}`);
    }
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId, resource);
    switch (resource.Type) {
      case 'AWS::S3::Bucket':
      case 'AWS::DynamoDB::Table':
      case 'AWS::IAM::Role':
      case 'AWS::Lambda::Function':
      case 'AWS::Logs::LogGroup':
      case 'AWS::Scheduler::ScheduleGroup':
        return name;
      case 'AWS::KMS::Key':
        return keyId(this.options.stackName, logicalId);
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.options.region}.${URL_SUFFIX}/${this.options.account}/${name}`;
      case 'AWS::SNS::Topic':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::IAM::ManagedPolicy':
        return this.getAtt(logicalId, 'Arn');
      default:
        throw new Error(`Ref of ${resource.Type} (${logicalId}) is not supported`);
    }
  }

  /** What `{ 'Fn::GetAtt': [logicalId, attribute] }` gives. */
  getAtt(logicalId: string, attribute: string): string {
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId, resource);
    const { account, region } = this.options;
    const arn = (service: string, rest: string, inRegion = true, inAccount = true) =>
      `arn:${PARTITION}:${service}:${inRegion ? region : ''}:${inAccount ? account : ''}:${rest}`;
    const attributes: Record<string, Record<string, () => string>> = {
      'AWS::S3::Bucket': { Arn: () => arn('s3', name, false, false) },
      'AWS::KMS::Key': { Arn: () => arn('kms', `key/${keyId(this.options.stackName, logicalId)}`) },
      'AWS::SNS::Topic': {
        TopicArn: () => arn('sns', name),
        Arn: () => arn('sns', name),
        TopicName: () => name,
      },
      'AWS::SQS::Queue': {
        Arn: () => arn('sqs', name),
        QueueName: () => name,
        QueueUrl: () => this.ref(logicalId),
      },
      'AWS::DynamoDB::Table': { Arn: () => arn('dynamodb', `table/${name}`) },
      'AWS::IAM::Role': { Arn: () => arn('iam', `role/${name}`, false) },
      'AWS::IAM::ManagedPolicy': {
        Arn: () => arn('iam', `policy/${name}`, false),
        PolicyArn: () => arn('iam', `policy/${name}`, false),
      },
      'AWS::SecretsManager::Secret': {
        Arn: () => arn('secretsmanager', `secret:${name}-AbCdEf`),
        Id: () => arn('secretsmanager', `secret:${name}-AbCdEf`),
      },
      'AWS::Lambda::Function': { Arn: () => arn('lambda', `function:${name}`) },
      'AWS::Logs::LogGroup': { Arn: () => arn('logs', `log-group:${name}:*`) },
      'AWS::Scheduler::ScheduleGroup': { Arn: () => arn('scheduler', `schedule-group/${name}`) },
    };
    const get = attributes[resource.Type]?.[attribute];
    if (!get) throw new Error(`Fn::GetAtt ${attribute} of ${resource.Type} (${logicalId}) is not supported`);
    return get();
  }

  private resolveValue(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolveValue(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1]);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolveValue(item)]));
  }

  private intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument)
          ? (argument as [string, string])
          : splitOnce(String(argument), '.');
        return this.getAtt(logicalId, String(this.resolveValue(attribute)));
      }
      case 'Fn::Join': {
        const [delimiter, parts] = argument as [string, unknown[]];
        const resolved = this.resolveValue(parts);
        if (!Array.isArray(resolved)) throw new Error('Fn::Join needs a list');
        return resolved.map(String).join(delimiter);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument)
          ? (argument as [string, Record<string, unknown>])
          : [String(argument), {}];
        const values = this.resolveValue(variables) as Record<string, unknown>;
        // `${!Name}` is the escape for a literal `${Name}`.
        return text.replace(/\$\{(!?)([^}]*)\}/g, (_match, literal: string, reference: string) => {
          if (literal) return `\${${reference}}`;
          if (reference in values) return String(values[reference]);
          if (reference.includes('.') && !reference.startsWith('AWS::')) {
            const [logicalId, attribute] = splitOnce(reference, '.');
            return this.getAtt(logicalId, attribute);
          }
          return this.ref(reference);
        });
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number | string, unknown];
        const resolved = this.resolveValue(list);
        if (!Array.isArray(resolved)) throw new Error('Fn::Select needs a list');
        return resolved[Number(index)];
      }
      case 'Fn::Split': {
        const [delimiter, text] = argument as [string, unknown];
        return String(this.resolveValue(text)).split(delimiter);
      }
      default:
        throw new Error(`${name} is not supported`);
    }
  }

  private pseudoParameter(name: string): string | undefined {
    const { account, region, stackName } = this.options;
    const values: Record<string, string> = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': PARTITION,
      'AWS::URLSuffix': URL_SUFFIX,
      'AWS::StackName': stackName,
      'AWS::StackId': `arn:${PARTITION}:cloudformation:${region}:${account}:stack/${stackName}/${keyId(stackName, '')}`,
    };
    return values[name];
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId} in stack ${this.options.stackName}`);
    return resource;
  }

  /** The resource's own name when the template gives one, otherwise `<stack>-<logical id>`. */
  private physicalName(logicalId: string, resource: CfnResource): string {
    const nameProperty: Record<string, string> = {
      'AWS::S3::Bucket': 'BucketName',
      'AWS::SNS::Topic': 'TopicName',
      'AWS::SQS::Queue': 'QueueName',
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::IAM::Role': 'RoleName',
      'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
      'AWS::SecretsManager::Secret': 'Name',
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::Scheduler::ScheduleGroup': 'Name',
    };
    const property = nameProperty[resource.Type];
    const given = property === undefined ? undefined : resource.Properties?.[property];
    const name =
      given === undefined ? `${this.options.stackName}-${logicalId}` : String(this.resolveValue(given));
    return resource.Type === 'AWS::S3::Bucket' ? name.toLowerCase() : name;
  }
}

/** A stable, made-up key id (a UUID) for a key of a stack. */
function keyId(stackName: string, logicalId: string): string {
  const hex = createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  if (index < 0) throw new Error(`"${text}" has no "${separator}"`);
  return [text.slice(0, index), text.slice(index + separator.length)];
}
