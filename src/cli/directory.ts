import type { Command } from 'commander';
import { loadSettingsFile, readSettingsFile } from '../config/load.js';
import type { DirectorySettings } from '../config/schema.js';
import { RosterError } from '../errors.js';
import { listRuns, findRun } from '../store/runs.js';
import { loadDirectorySettings, redactSettings, saveDirectorySettings, validateKeepingStoredPassword } from '../store/settings.js';
import type { Store } from '../store/store.js';
import { previewSync } from '../sync/run.js';
import { syncNow } from '../admin/directory.js';
import { trace } from '../trace.js';
import { formatReport, type SyncReport } from '../sync/report.js';
import type { ReadProgress } from '../snapshot.js';
import { storeExists, withStore } from './context.js';
import { printJson, printNote, printText, progressReporter } from './output.js';
import { formatRuns, formatRun } from './runs-format.js';

async function storedSettings(store: Store): Promise<DirectorySettings> {
  const settings = await loadDirectorySettings(store.db, store.secrets);
  if (!settings) throw new RosterError('DIRECTORY_NOT_CONFIGURED', 'No directory settings are stored yet; store them with `roster directory set FILE`.');
  return settings;
}

async function printReport(report: SyncReport, json: boolean | undefined): Promise<void> {
  trace('printing the report');
  if (json) await printJson(report);
  else printText(formatReport(report));
}

/** Reads a settings file; a missing password keeps the stored one, as the console's write-only field does. */
async function settingsForStore(store: Store, file: string): Promise<DirectorySettings> {
  return validateKeepingStoredPassword(store.db, store.secrets, await readSettingsFile(file));
}

export function registerDirectoryCommands(program: Command): void {
  const directory = program.command('directory').description('directory service settings, Test settings and Synchronize now');

  directory
    .command('set')
    .description('validate and store the directory settings (YAML or JSON); every invalid field is reported')
    .argument('<file>', 'settings file; without connection.password the stored password is kept')
    .action(async (file: string, _options: unknown, command: Command) => {
      await withStore(command, async (store) => {
        const settings = await settingsForStore(store, file);
        await saveDirectorySettings(store.db, store.secrets, settings);
        printNote(`Directory settings stored (server ${settings.connection.server}, protocol ${settings.connection.protocol}).\n`);
      });
    });

  directory
    .command('show')
    .description('show the stored settings; the password is never shown')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withStore(command, async (store) => {
        const redacted = redactSettings(await storedSettings(store));
        if (options.json) await printJson(redacted);
        else printText((await import('../config/yaml.js')).stringifyYaml(redacted));
      });
    });

  directory
    .command('test')
    .description('"Test settings": read the directory and show what a synchronization would change; commits nothing')
    .argument('[file]', 'settings file (YAML or JSON) to test without storing it; default: the stored settings')
    .option('--json', 'print the report as one JSON document')
    .action(async (file: string | undefined, options: { json?: boolean }, command: Command) => {
      const progress = progressReporter();
      const onProgress = (p: ReadProgress) => progress(`reading ${p.phase}: ${p.entries} entries`);
      const report =
        file && !storeExists(command)
          ? await previewSync(undefined, await loadSettingsFile(file), onProgress)
          : await withStore(command, async (store) => previewSync(store, file ? await loadSettingsFile(file) : await storedSettings(store), onProgress));
      progress.done();
      await printReport(report, options.json);
    });

  directory
    .command('sync')
    .description('"Synchronize now" with the stored settings: commit the changes in one transaction')
    .option('--json', 'print the report as one JSON document')
    .option('--allow-mass-delete', 'pass the deletion threshold (options.maxDeletions) for this run only')
    .option('--full', 'read the whole directory even where an incremental run could continue')
    .option('--user <name>', "apply only this user's change (the directory is read and guarded as for a full run; recorded with mode single)")
    .action(async (options: { json?: boolean; allowMassDelete?: boolean; full?: boolean; user?: string }, command: Command) => {
      const progress = progressReporter();
      const failpoint = process.env.ROSTER_FAILPOINT;
      const report = await withStore(command, async (store) =>
        syncNow(
          { store },
          {
            user: options.user,
            trigger: 'cli',
            allowMassDelete: options.allowMassDelete,
            full: options.full === true,
            onProgress: (p) => progress(`reading ${p.phase}: ${p.entries} entries`),
            afterBatch: (done, total) => {
              progress(`creating users: ${done}/${total}`);
              // Test-only: simulate a crash in the middle of the write transaction.
              if (failpoint === 'kill-after-first-batch') process.kill(process.pid, 'SIGKILL');
            },
          },
        ),
      );
      progress.done();
      await printReport(report, options.json);
    });

  directory
    .command('explain')
    .description('why a name is (not) synchronized: its entry or near misses, user filter, groups, and what a sync would do now; commits nothing')
    .argument('<name>', 'a user name, in Roster or not')
    .option('--json', 'print the explanation as one JSON document')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const { explainUser, formatExplanation } = await import('../admin/explain.js');
      const explanation = await withStore(command, (store) => explainUser(store, name));
      if (options.json) await printJson(explanation);
      else process.stdout.write(formatExplanation(explanation));
    });

  directory
    .command('runs')
    .description('list the synchronization runs, or show one with its per-user changes')
    .argument('[id]', 'run id')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, options: { json?: boolean }, command: Command) => {
      await withStore(command, async (store) => {
        if (id === undefined) {
          const runs = await listRuns(store.db);
          if (options.json) await printJson(runs);
          else printText(formatRuns(runs));
          return;
        }
        if (!/^\d+$/.test(id)) throw new RosterError('INPUT_INVALID', `run id "${id}" is not a number`);
        const run = await findRun(store.db, Number(id));
        if (!run) throw new RosterError('NOT_FOUND', `There is no run ${id}.`);
        if (options.json) await printJson(run);
        else printText(formatRun(run));
      });
    });
}
