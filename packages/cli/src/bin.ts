#!/usr/bin/env node
import { COMMANDS } from './index.js';

process.stdout.write(`mtlskit: commands coming in the next release: ${COMMANDS.join(', ')}\n`);
