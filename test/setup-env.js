// Keep local runs away from any real AWS profile.
process.env.AWS_REGION = process.env.AWS_REGION || 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = process.env.AWS_ACCESS_KEY_ID || 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = process.env.AWS_SECRET_ACCESS_KEY || 'S3RVER';
delete process.env.AWS_PROFILE;
process.env.POWERTOOLS_DEV = process.env.POWERTOOLS_DEV || 'false';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL || 'SILENT';
// On Node.js < 22 the AWS SDK warns that its releases after early January 2027 need 22. The
// suite runs there too, because the CLI and the demo support Node.js 20.11 and later.
if (Number(process.versions.node.split('.')[0]) < 22) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
