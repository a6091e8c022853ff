#!/usr/bin/env node
// The framescope command. Runs the TypeScript sources through tsx, so a
// checkout works with `npx framescope …` right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
