/** `roster webhooks add|list|remove|test|retry` (DESIGN §4). Secrets are never printed, except one Roster generated, once. */
import type { Command } from 'commander';
import { RosterError } from '../errors.js';
import type { WebhookView } from '../admin/webhooks.js';
import type { DeliveryOutcome } from '../webhooks/post.js';
import { readStdin, withStore } from './context.js';
import { printJson, printNote, printText } from './output.js';

function collectPatterns(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  ];
}

function formatWebhook(hook: WebhookView): string {
  const lines = [`${hook.id}  ${hook.url}  events: ${hook.events.length ? hook.events.join(',') : '*'}  pending: ${hook.pending}`];
  if (hook.retry) lines.push(`    retrying (attempt ${hook.retry.attempts}, next ${hook.retry.nextAttemptAt}): ${hook.retry.lastError ?? ''}`);
  for (const failure of hook.failures) lines.push(`    undeliverable event ${failure.eventSeq} after ${failure.attempts} attempts (${failure.failedAt}): ${failure.lastError}`);
  return lines.join('\n') + '\n';
}

function reportOutcome(outcome: DeliveryOutcome, what: string): void {
  if (!outcome.ok) throw new RosterError('WEBHOOK_DELIVERY_FAILED', `${what} failed: ${outcome.error}`);
  printNote(`${what}: the receiver answered HTTP ${outcome.status}.\n`);
}

// The admin module (and with it zod) is loaded by the commands that run, as the other command groups do.
const admin = () => import('../admin/webhooks.js');

export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('signed webhooks receiving change events');

  webhooks
    .command('add')
    .argument('<url>')
    .option('--secret <secret>', 'signing secret (at least 16 characters); generated and printed once when absent')
    .option('--secret-stdin', 'read the signing secret from standard input (keeps it out of the process list)')
    .option('--events <patterns>', 'event types or prefixes, comma-separated (user.*, sync.refused); default all', collectPatterns)
    .option('--json', 'print JSON')
    .action(async (url: string, options: { secret?: string; secretStdin?: boolean; events?: string[]; json?: boolean }, command: Command) => {
      const secret = options.secretStdin ? await readStdin() : options.secret;
      const added = await withStore(command, async (store) =>
        (await admin()).addWebhook(store, { url, ...(secret !== undefined ? { secret } : {}), events: options.events ?? [] }),
      );
      if (options.json) await printJson(added);
      else {
        printText(formatWebhook(added.webhook));
        if (added.generatedSecret) printNote(`Signing secret (shown only this once): ${added.generatedSecret}\n`);
      }
    });

  webhooks
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const all = await withStore(command, async (store) => (await admin()).listWebhookViews(store));
      if (options.json) await printJson(all);
      else printText(all.map(formatWebhook).join('') || 'No webhooks.\n');
    });

  webhooks
    .command('remove')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withStore(command, async (store) => (await admin()).removeWebhook(store, id));
      printNote(`Webhook ${id} removed.\n`);
    });

  webhooks
    .command('test')
    .description('send a webhook.test event now')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      reportOutcome(await withStore(command, async (store) => (await admin()).testWebhook(store, id)), `Test delivery to webhook ${id}`);
    });

  webhooks
    .command('retry')
    .description('send an undeliverable event again now')
    .argument('<id>')
    .argument('<event>', 'the event number shown by `webhooks list`')
    .action(async (id: string, event: string, _options: unknown, command: Command) => {
      reportOutcome(await withStore(command, async (store) => (await admin()).retryWebhookFailure(store, id, event)), `Event ${event} to webhook ${id}`);
    });
}
