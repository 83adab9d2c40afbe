import { parseCollectorEnv } from '../../lambdas/shared/env';
import { ConfigError } from '../../lambdas/shared/errors';

const MINIMAL_ENV = {
  SOURCE_NAME: 'prod',
  TOKEN_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-token-AbCdEf',
  STATE_TABLE: 'op-events-state',
  ARCHIVE_BUCKET: 'op-events-archive',
};

/** The ConfigError the environment raises; fails the test when it parses. */
function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    parseCollectorEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the environment to be refused');
}

describe('parseCollectorEnv', () => {
  it('accepts the minimal environment and fills in the defaults', () => {
    // Act
    const env = parseCollectorEnv(MINIMAL_ENV);

    // Assess
    expect(env).toEqual({
      SOURCE_NAME: 'prod',
      TOKEN_SECRET_ID: MINIMAL_ENV.TOKEN_SECRET_ID,
      ALLOW_CUSTOM_EVENTS_API_URL: false,
      STATE_TABLE: 'op-events-state',
      ARCHIVE_BUCKET: 'op-events-archive',
      ARCHIVE_PREFIX: '',
      S3_FORCE_PATH_STYLE: false,
      BATCH_MAX_EVENTS: 50_000,
      BATCH_MAX_BYTES: 32 * 1024 * 1024,
      DEADLINE_MARGIN_MS: 20_000,
      DROP_OFF_SECONDS: {},
      DROP_OFF_CEILING_SECONDS: {},
      REQUEST_TIMEOUT_MS: 30_000,
      REQUEST_BUDGET_PER_MINUTE: 540,
      REQUEST_BUDGET_PER_HOUR: 27_000,
    });
    expect(env.EVENTS_API_URL).toBeUndefined();
    expect(env.EVENT_TYPES).toBeUndefined();
    expect(env.START_FROM).toBeUndefined();
  });

  it('keeps the budget defaults below the API limits of 600/minute and 30,000/hour', () => {
    const env = parseCollectorEnv(MINIMAL_ENV);

    expect(env.REQUEST_BUDGET_PER_MINUTE).toBeLessThanOrEqual(600);
    expect(env.REQUEST_BUDGET_PER_HOUR).toBeLessThanOrEqual(30_000);
  });

  it('ignores variables it does not know, such as the rest of the Lambda environment', () => {
    const env = parseCollectorEnv({ ...MINIMAL_ENV, AWS_REGION: 'eu-west-1', PATH: '/usr/bin' });

    expect(env).not.toHaveProperty('AWS_REGION');
    expect(env).not.toHaveProperty('PATH');
  });

  it('reads every optional variable', () => {
    // Act
    const env = parseCollectorEnv({
      ...MINIMAL_ENV,
      EVENTS_API_URL: 'http://127.0.0.1:8080',
      ALLOW_CUSTOM_EVENTS_API_URL: 'true',
      EVENT_TYPES: ' itemusages , auditevents,itemusages ',
      ARCHIVE_PREFIX: '1password/',
      START_FROM: 'P7D',
      S3_FORCE_PATH_STYLE: '1',
      BATCH_MAX_EVENTS: '1000',
      BATCH_MAX_BYTES: '1048576',
      DEADLINE_MARGIN_MS: '5000',
      REQUEST_TIMEOUT_MS: '10000',
      REQUEST_BUDGET_PER_MINUTE: '100',
      REQUEST_BUDGET_PER_HOUR: '1000',
    });

    // Assess
    expect(env).toMatchObject({
      EVENTS_API_URL: 'http://127.0.0.1:8080',
      ALLOW_CUSTOM_EVENTS_API_URL: true,
      EVENT_TYPES: ['itemusages', 'auditevents'],
      ARCHIVE_PREFIX: '1password/',
      START_FROM: 'P7D',
      S3_FORCE_PATH_STYLE: true,
      BATCH_MAX_EVENTS: 1000,
      BATCH_MAX_BYTES: 1_048_576,
      DEADLINE_MARGIN_MS: 5000,
      REQUEST_TIMEOUT_MS: 10_000,
      REQUEST_BUDGET_PER_MINUTE: 100,
      REQUEST_BUDGET_PER_HOUR: 1000,
    });
  });

  it('treats empty optional variables as unset', () => {
    const env = parseCollectorEnv({
      ...MINIMAL_ENV,
      EVENTS_API_URL: '',
      EVENT_TYPES: '  ',
      ARCHIVE_PREFIX: '',
      START_FROM: '',
      BATCH_MAX_EVENTS: '',
      S3_FORCE_PATH_STYLE: '',
    });

    expect(env.EVENTS_API_URL).toBeUndefined();
    expect(env.EVENT_TYPES).toBeUndefined();
    expect(env.ARCHIVE_PREFIX).toBe('');
    expect(env.START_FROM).toBeUndefined();
    expect(env.BATCH_MAX_EVENTS).toBe(50_000);
    expect(env.S3_FORCE_PATH_STYLE).toBe(false);
  });

  it('accepts an RFC 3339 instant as START_FROM', () => {
    expect(parseCollectorEnv({ ...MINIMAL_ENV, START_FROM: '2026-01-01T00:00:00Z' }).START_FROM).toBe(
      '2026-01-01T00:00:00Z',
    );
  });

  it('names SOURCE_NAME and the rule when it has upper-case letters', () => {
    const error = configErrorOf({ ...MINIMAL_ENV, SOURCE_NAME: 'Prod' });

    expect(error.message).toContain('SOURCE_NAME');
    expect(error.message).toContain('[a-z0-9-]{1,40}');
    expect(error.message).toContain('"Prod"');
  });

  it('refuses a SOURCE_NAME longer than 40 characters', () => {
    expect(configErrorOf({ ...MINIMAL_ENV, SOURCE_NAME: 'a'.repeat(41) }).message).toContain('SOURCE_NAME');
  });

  it('says TOKEN_SECRET_ID is required when it is missing', () => {
    const { TOKEN_SECRET_ID: _omitted, ...env } = MINIMAL_ENV;

    const error = configErrorOf(env);

    expect(error.message).toContain('TOKEN_SECRET_ID: is required');
  });

  it('names TOKEN_SECRET_ID when it is empty', () => {
    expect(configErrorOf({ ...MINIMAL_ENV, TOKEN_SECRET_ID: '' }).message).toContain('TOKEN_SECRET_ID');
  });

  it('names EVENT_TYPES, the unknown type and the allowed ones', () => {
    const error = configErrorOf({ ...MINIMAL_ENV, EVENT_TYPES: 'itemusages,signins' });

    expect(error.message).toContain('EVENT_TYPES');
    expect(error.message).toContain('"signins"');
    expect(error.message).toContain('signinattempts, itemusages, auditevents');
  });

  it('refuses an EVENT_TYPES made only of commas', () => {
    expect(configErrorOf({ ...MINIMAL_ENV, EVENT_TYPES: ',,' }).message).toContain('EVENT_TYPES');
  });

  it('names ARCHIVE_PREFIX when it does not end with a slash', () => {
    const error = configErrorOf({ ...MINIMAL_ENV, ARCHIVE_PREFIX: '1password' });

    expect(error.message).toContain('ARCHIVE_PREFIX');
    expect(error.message).toContain('must end with "/"');
  });

  it('names START_FROM and the two accepted forms when it is garbage', () => {
    const error = configErrorOf({ ...MINIMAL_ENV, START_FROM: 'last week' });

    expect(error.message).toContain('START_FROM');
    expect(error.message).toContain('"last week"');
    expect(error.message).toContain('P7D');
  });

  it('refuses a START_FROM in months', () => {
    expect(configErrorOf({ ...MINIMAL_ENV, START_FROM: 'P1M' }).message).toContain('START_FROM');
  });

  it('names BATCH_MAX_EVENTS and its range when it is 0', () => {
    const error = configErrorOf({ ...MINIMAL_ENV, BATCH_MAX_EVENTS: '0' });

    expect(error.message).toContain('BATCH_MAX_EVENTS');
    expect(error.message).toContain('between 1 and 1000000');
  });

  it.each([
    ['BATCH_MAX_EVENTS', '1.5'],
    ['BATCH_MAX_EVENTS', 'many'],
    ['REQUEST_BUDGET_PER_MINUTE', '601'],
    ['REQUEST_BUDGET_PER_HOUR', '30001'],
    ['REQUEST_TIMEOUT_MS', '-1'],
  ])('names %s when it is %s', (variable, value) => {
    expect(configErrorOf({ ...MINIMAL_ENV, [variable]: value }).message).toContain(`${variable}:`);
  });

  it('names EVENTS_API_URL when it is not a URL', () => {
    const error = configErrorOf({ ...MINIMAL_ENV, EVENTS_API_URL: 'events.1password.com' });

    expect(error.message).toContain('EVENTS_API_URL');
    expect(error.message).toContain('https://events.1password.com');
  });

  it('names a flag that is not true/false/1/0', () => {
    expect(configErrorOf({ ...MINIMAL_ENV, S3_FORCE_PATH_STYLE: 'yes' }).message).toContain(
      'S3_FORCE_PATH_STYLE',
    );
  });

  it('names every bad variable in one message', () => {
    // Act
    const error = configErrorOf({
      SOURCE_NAME: 'Prod',
      EVENT_TYPES: 'itemusages,foo',
      ARCHIVE_PREFIX: 'x',
      START_FROM: 'garbage',
      STATE_TABLE: 'op-events-state',
      ARCHIVE_BUCKET: 'op-events-archive',
      BATCH_MAX_EVENTS: '0',
      EVENTS_API_URL: 'not a url',
    });

    // Assess
    for (const variable of [
      'SOURCE_NAME',
      'TOKEN_SECRET_ID',
      'EVENT_TYPES',
      'ARCHIVE_PREFIX',
      'START_FROM',
      'BATCH_MAX_EVENTS',
      'EVENTS_API_URL',
    ]) {
      expect(error.message).toContain(`${variable}:`);
    }
    expect(error.message).not.toContain('STATE_TABLE');
    expect(error.message).not.toContain('ARCHIVE_BUCKET');
  });

  it('never repeats the value of TOKEN_SECRET_ID, while it repeats other bad values', () => {
    // Prepare: the secret id is refused only with a too-short value; pair it with another bad variable.
    const error = configErrorOf({ ...MINIMAL_ENV, SOURCE_NAME: 'Prod', TOKEN_SECRET_ID: '' });

    // Assess
    expect(error.message).toMatch(/TOKEN_SECRET_ID: [^;]*holding the token(;|\.)/);
    expect(error.message).not.toMatch(/TOKEN_SECRET_ID: [^;]*\(got/);
    expect(error.message).toContain('(got "Prod")');
  });

  it('refuses numbers written in other notations than plain digits', () => {
    for (const value of ['1e3', '0x10', '1.5', ' 7']) {
      expect(configErrorOf({ ...MINIMAL_ENV, BATCH_MAX_EVENTS: value }).message).toMatch(
        /BATCH_MAX_EVENTS: must be a whole number/,
      );
    }
  });

  it('refuses a START_FROM in the future and says how to start from now', () => {
    const error = configErrorOf({ ...MINIMAL_ENV, START_FROM: '2099-01-01T00:00:00Z' });

    expect(error.message).toMatch(/START_FROM: is in the future; use P0D/);
  });

  it('names EVENTS_API_URL without repeating its value, which may carry credentials', () => {
    const error = configErrorOf({ ...MINIMAL_ENV, EVENTS_API_URL: 'not a url with s3cr3t' });

    expect(error.message).toContain('EVENTS_API_URL');
    expect(error.message).not.toContain('s3cr3t');
  });

  it('does not repeat the secret id when another variable is bad', () => {
    const error = configErrorOf({ ...MINIMAL_ENV, SOURCE_NAME: 'Prod' });

    expect(error.message).not.toContain(MINIMAL_ENV.TOKEN_SECRET_ID);
  });
});
