#!/usr/bin/env node
// openwaba runs its TypeScript sources through tsx (see docs/adr/0004-run-typescript-with-tsx.md).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
