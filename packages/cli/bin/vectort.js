#!/usr/bin/env node
// `npx vectort` from the checkout (after `npm run build`). A CommonJS file: the package is CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../dist/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
