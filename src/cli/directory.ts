import type { Command } from 'commander';
import { loadSettingsFile } from '../config/load.js';
import { readDirectory } from '../directory/read.js';
import { planSync } from '../sync/plan.js';
import { buildReport, formatReport } from '../sync/report.js';
import { printJson, progressReporter } from './output.js';

export function registerDirectoryCommands(program: Command): void {
  const directory = program.command('directory').description('directory service settings, Test settings and Synchronize now');

  directory
    .command('test')
    .description('"Test settings": read the directory and show what a synchronization would change; commits nothing')
    .argument('[file]', 'settings file (YAML or JSON) to test without storing it')
    .option('--json', 'print the report as one JSON document')
    .action(async (file: string | undefined, options: { json?: boolean }) => {
      const settings = loadSettingsFile(file!);
      const progress = progressReporter();
      const snapshot = await readDirectory(settings, { onProgress: (p) => progress(`reading ${p.phase}: ${p.entries} entries`) });
      progress.done();
      const report = buildReport(snapshot, planSync(snapshot, [], settings), false);
      if (options.json) await printJson(report);
      else process.stdout.write(formatReport(report));
    });
}
