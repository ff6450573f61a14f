// The AWS SDK warns on every load that it will need Node 22 from 2027 (DESIGN.md plans for it);
// keep that one notice out of test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
