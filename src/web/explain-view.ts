/** The console's rendering of an explanation (admin/explain.ts): the verdict first, then the evidence. */
import type { Explanation } from '../admin/explain.js';
import { html, type Html } from './html.js';

const ACTION_LABELS: Record<Explanation['action'], string> = {
  create: 'would be created',
  update: 'would be updated',
  delete: 'would be deleted',
  'keep-out-of-scope': 'is out of scope and kept (automatic deletion is off)',
  nothing: 'nothing would change',
};

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(', ') || '(none)' : value === null || value === undefined ? '(none)' : String(value);
}

export function explanationView(explanation: Explanation): Html {
  const { stored, entry, groups } = explanation;
  return html`<section id="explanation" class="explanation">
    <h2>Explain ${explanation.name}</h2>
    <p class="verdict"><strong id="explain-action">${ACTION_LABELS[explanation.action]}</strong>: <span id="explain-reason">${explanation.reason}</span></p>
    ${
      explanation.changes
        ? html`<ul class="diff">
            ${Object.entries(explanation.changes).map(
              ([field, change]) => html`<li>${field}: <del>${show((change as { from: unknown }).from)}</del> → <ins>${show((change as { to: unknown }).to)}</ins></li>`,
            )}
          </ul>`
        : ''
    }
    <table>
      <tbody>
        <tr>
          <th>In Roster</th>
          <td>${stored ? `${stored.userName} (${stored.source} user, ${stored.authentication} authentication${stored.disabled ? ', disabled' : ''})` : 'no user by this name'}</td>
        </tr>
        <tr>
          <th>Directory entry</th>
          <td id="explain-entry">
            ${entry ? html`${entry.dn} <span class="muted">(${entry.inScope ? 'in scope' : 'matches the user filter, outside the group selection'}${entry.disabled ? ', disabled in the directory' : ''})</span>` : 'none in scope'}
          </td>
        </tr>
        <tr>
          <th>Group selection</th>
          <td>${groups.selection.length ? groups.selection.join(', ') : 'none: every user matching the user filter'}</td>
        </tr>
        <tr>
          <th>Groups listing the entry</th>
          <td>${groups.direct.join(', ') || '(none)'}</td>
        </tr>
        <tr>
          <th>Reaches</th>
          <td id="explain-reached">${groups.reached.length ? groups.reached.map((reached) => html`<div>${reached.path.join(' → ')}</div>`) : '(no selected group)'}</td>
        </tr>
      </tbody>
    </table>
    ${
      explanation.candidates.length
        ? html`<h3>Entries resembling the name</h3>
            <table id="explain-candidates">
              <thead>
                <tr>
                  <th>Entry</th>
                  <th>User name</th>
                  <th>User filter</th>
                  <th>Resembles by</th>
                </tr>
              </thead>
              <tbody>
                ${explanation.candidates.map(
                  (candidate) =>
                    html`<tr>
                      <td>${candidate.dn}</td>
                      <td>${candidate.userName}</td>
                      <td>${candidate.matchesUserFilter ? 'matches' : 'does not match'}</td>
                      <td>${candidate.resemblances.map((item) => html`<div>${item.attribute} = ${item.value} <span class="muted">(${item.resemblance})</span></div>`)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            ${explanation.candidatesTruncated ? html`<p class="muted">More entries resemble the name; the first 20 are listed.</p>` : ''}`
        : ''
    }
    ${
      explanation.warnings.length
        ? html`<h3>Warnings</h3>
            <ul class="warnings">
              ${explanation.warnings.map((warning) => html`<li>${warning}</li>`)}
            </ul>`
        : ''
    }
  </section>`;
}

/** The search box on Directory Services: explains any name, in Roster or not. */
export function explainForm(name = ''): Html {
  return html`<form class="filters" method="get" action="/directory/explain" hx-get="/directory/explain" hx-target="#explanation" hx-swap="outerHTML" hx-sync="this:replace">
    <label for="explain-name">Explain a user: why is this name (not) synchronized?</label>
    <div class="actions">
      <input type="search" id="explain-name" name="name" value="${name}" placeholder="user name" required maxlength="256" />
      <button type="submit" class="secondary">Explain</button>
    </div>
  </form>`;
}
