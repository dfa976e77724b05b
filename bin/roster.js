#!/usr/bin/env node
import { main } from '../dist/bundle/roster.js';

process.exitCode = await main(process.argv);
