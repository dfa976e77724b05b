// Preloaded into a measured process: writes its peak resident set size (KiB) to ROSTER_RSS_FILE at exit.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.ROSTER_RSS_FILE) writeFileSync(process.env.ROSTER_RSS_FILE, String(process.resourceUsage().maxRSS));
});
