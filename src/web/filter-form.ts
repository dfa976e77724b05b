import { html, type Html } from './html.js';

export interface LiveFilterForm {
  /** The page's own path: the form is a plain GET there, so it works without JavaScript. */
  path: string;
  /** The search box: typing in it refreshes the list after 250 ms of quiet. */
  searchId: string;
  /** The element the answer replaces (the list, not the page). */
  target: string;
  id?: string;
}

/**
 * A filter form for a long list (users, a run's changes): with htmx every keystroke (after 250 ms of quiet) and every
 * filter change replaces only the list, and a newer request replaces one still running, so a fast typist never sees
 * an older answer land last.
 */
export function liveFilterForm(form: LiveFilterForm, fields: Html): Html {
  const trigger = `input changed delay:250ms from:#${form.searchId}, search from:#${form.searchId}, change from:select, submit`;
  return html`<form
    ${form.id ? html`id="${form.id}"` : ''}
    class="filters"
    method="get"
    action="${form.path}"
    role="search"
    hx-get="${form.path}"
    hx-trigger="${trigger}"
    hx-target="#${form.target}"
    hx-swap="outerHTML"
    hx-push-url="true"
    hx-sync="this:replace"
  >
    ${fields}
  </form>`;
}
