/**
 * The web console: server-rendered pages, enhanced by htmx (partial updates), usable without JavaScript for
 * logging on and saving. Cookie sessions; every POST but the login form checks the CSRF token.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RosterApp } from '../app.js';
import { loginLockOf, unlockUserName } from '../admin/lockouts.js';
import { deletePendingUserNow, keepPendingUser } from '../admin/pending.js';
import { syncAlert } from '../admin/status.js';
import { registerWebhookPages } from './webhook-pages.js';
import { changeUser, findUserByName, listUserPage, publicUser } from '../admin/users.js';
import { saveSettings, settingsFromInput, storedSettingsIfAny, syncNow, testSettings } from '../admin/directory.js';
import { listRunChanges, recentRuns, runSummary } from '../admin/runs.js';
import { RosterError, isRosterError, type FieldIssue } from '../errors.js';
import { createSession, deleteSession } from '../store/sessions.js';
import { SESSION_LIFETIME_MS, deviceTokenOf, loginCookies, parseCookies, resolveSession, sessionCookie, type RequestSession } from '../api/auth.js';
import { LOGIN_BODY_LIMIT } from '../auth/login.js';
import { MAX_USER_NAME_LENGTH } from '../model.js';
import { page } from './layout.js';
import { loginPage, mePage, problemView, runsPage, userEditor } from './pages.js';
import { isSectionName, jobView, reportView, sectionPage } from './report-view.js';
import { changesList, runPage } from './run-page.js';
import { explainForm, explanationView } from './explain-view.js';
import { explainUser } from '../admin/explain.js';
import { usersList, usersPage } from './users-list.js';
import { loginLockView } from './lockout-view.js';
import { applyPreset, settingsForm, settingsInput, valuesFromForm, valuesFromSettings } from './settings-form.js';
import { html, type Html } from './html.js';

const require = createRequire(import.meta.url);
const HTMX = readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8');
const CSS = readFileSync(new URL('../../web/static/roster.css', import.meta.url), 'utf8');

type Body = Record<string, unknown>;

const LOGIN_CSRF_COOKIE = 'roster_login_csrf';

function loginCsrfCookie(token: string, request: FastifyRequest): string {
  const secure = request.protocol === 'https' || process.env.ROSTER_SECURE_COOKIES === '1' ? '; Secure' : '';
  return `${LOGIN_CSRF_COOKIE}=${token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600${secure}`;
}

/** htmx swaps only 2xx answers: a form shown again with its errors is 200 to htmx, 400 to a plain form post. */
function invalid(request: FastifyRequest): number {
  return request.headers['hx-request'] ? 200 : 400;
}

function send(reply: FastifyReply, body: string | Html, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(String(body));
}

export async function registerConsole(server: FastifyInstance, app: RosterApp): Promise<void> {
  server.get('/static/htmx.min.js', async (_request, reply) => reply.type('application/javascript').header('cache-control', 'public, max-age=86400').send(HTMX));
  server.get('/static/roster.css', async (_request, reply) => reply.type('text/css').header('cache-control', 'public, max-age=3600').send(CSS));

  /** Page guard: the session, or a redirect to the login page; admin pages answer 403 to other users. */
  const guard = (privilege?: 'admin') => async (request: FastifyRequest, reply: FastifyReply) => {
    const session = await resolveSession(app, request);
    if (!session) return reply.redirect('/login', 303);
    if (request.method === 'POST' && (request.headers['x-csrf-token'] ?? (request.body as Body | undefined)?._csrf) !== session.csrfToken) {
      return send(reply, page('Refused', problemView('The form was refused (missing or stale security token); reload the page and try again.')), 403);
    }
    if (privilege && !session.user.privileges.includes(privilege))
      return send(reply, page('Not allowed', problemView('This page needs the admin privilege.'), context(session)), 403);
    request.session = session;
  };
  const context = (session: RequestSession, current?: string) => ({ user: session.user, csrfToken: session.csrfToken, current });
  const full = async (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, current?: string, status = 200) => {
    const session = request.session!;
    const alert = session.user.privileges.includes('admin') ? await syncAlert(app.store) : null;
    return send(reply, page(title, body, { ...context(session, current), alert }), status);
  };

  // Login CSRF (issue #12): a page elsewhere could post its own credentials to /login and log the visitor on as
  // the attacker. The form carries a token that must equal a SameSite=Strict cookie set with the form, which a
  // cross-site post does not send (double submit).
  const loginForm = (request: FastifyRequest, reply: FastifyReply, error?: string, status = 200) => {
    const token = randomBytes(18).toString('base64url');
    reply.header('set-cookie', loginCsrfCookie(token, request));
    return send(reply, page('Log on', loginPage(error, token)), status);
  };
  server.get('/login', async (request, reply) => loginForm(request, reply));
  server.post('/login', { bodyLimit: LOGIN_BODY_LIMIT }, async (request, reply) => {
    const body = request.body as Body;
    const expected = parseCookies(request.headers.cookie)[LOGIN_CSRF_COOKIE];
    if (!expected || body._csrf !== expected) return loginForm(request, reply, 'The form was refused (missing or stale security token); try again.', 403);
    // Refused before it reaches the log or the database (a 1 MB name was written to both, issue #12).
    if (String(body.userName ?? '').length > MAX_USER_NAME_LENGTH) return loginForm(request, reply, `The user name is longer than ${MAX_USER_NAME_LENGTH} characters.`, 400);
    try {
      const user = await app.auth.authenticate({
        userName: String(body.userName ?? ''),
        password: String(body.password ?? ''),
        source: request.ip,
        deviceToken: deviceTokenOf(request),
      });
      app.metrics.login('success');
      const session = await createSession(app.store.db, user, SESSION_LIFETIME_MS);
      reply.header('set-cookie', await loginCookies(app, request, user, session.token));
      return reply.redirect('/', 303);
    } catch (error) {
      if (!isRosterError(error)) throw error;
      app.metrics.login(error.code);
      return loginForm(request, reply, error.message, error.status);
    }
  });
  server.post('/logout', { preHandler: guard() }, async (request, reply) => {
    await deleteSession(app.store.db, request.session!.token);
    reply.header('set-cookie', sessionCookie('', request, 0));
    return reply.redirect('/login', 303);
  });
  server.get('/', { preHandler: guard() }, async (request, reply) => reply.redirect(request.session!.user.privileges.includes('admin') ? '/users' : '/me', 303));

  server.get('/me', { preHandler: guard() }, async (request, reply) => full(request, reply, 'My account', mePage(publicUser(request.session!.user)), '/me'));
  server.post('/me/password', { preHandler: guard() }, async (request, reply) => {
    const user = request.session!.user;
    const body = request.body as Body;
    try {
      if (user.authentication !== 'local' || !user.privileges.includes('changePassword')) throw new RosterError('FORBIDDEN', 'You cannot change your password here.');
      await app.auth.login({ userName: user.userName, password: String(body.currentPassword ?? ''), source: request.ip });
      await changeUser(app.store, user.userName, { password: String(body.newPassword ?? '') }, undefined, `self:${user.userName}`);
      return full(request, reply, 'My account', mePage(publicUser(user), 'Password changed; log on again with the new password.'), '/me');
    } catch (error) {
      if (!isRosterError(error)) throw error;
      return full(request, reply, 'My account', mePage(publicUser(user), undefined, error.message), '/me', invalid(request));
    }
  });

  server.get('/users', { preHandler: guard('admin') }, async (request, reply) => {
    try {
      const page = await listUserPage(app.store, request.query);
      if (request.headers['hx-request'] && request.headers['hx-target'] === 'users-list') return send(reply, usersList(page));
      return full(request, reply, 'Users', usersPage(page), '/users');
    } catch (error) {
      if (!isRosterError(error) || error.code !== 'INPUT_INVALID') throw error;
      return full(request, reply, 'Users', problemView(error.message), '/users', 400);
    }
  });
  server.get('/users/:userName', { preHandler: guard('admin') }, async (request, reply) => {
    const user = await findUserByName(app.store, (request.params as { userName: string }).userName);
    if (!user) return full(request, reply, 'Not found', problemView('There is no such user.'), '/users', 404);
    const lock = loginLockView(await loginLockOf(app.store, user.userName), request.session!.csrfToken);
    return full(request, reply, user.userName, html`${userEditor(user)}${lock}`, '/users');
  });
  server.post('/users/:userName/unlock', { preHandler: guard('admin') }, async (request, reply) => {
    const { userName, unlocked } = await unlockUserName(app.store, (request.params as { userName: string }).userName);
    const view = loginLockView(await loginLockOf(app.store, userName), request.session!.csrfToken, unlocked ? 'Logins unlocked.' : 'Logins were not blocked.');
    if (request.headers['hx-request']) return send(reply, view);
    return reply.redirect(`/users/${encodeURIComponent(userName)}`, 303);
  });
  server.post('/users/:userName', { preHandler: guard('admin') }, async (request, reply) => {
    const name = (request.params as { userName: string }).userName;
    const body = request.body as Body;
    const list = (value: unknown) => (value === undefined ? [] : [value].flat().map(String));
    try {
      const user = await changeUser(
        app.store,
        name,
        {
          authentication: String(body.authentication ?? 'local'),
          disabled: body.disabled === 'on',
          privileges: list(body.privileges),
          archiveAccess: list(body.archiveAccess),
          ...(body.password ? { password: String(body.password) } : {}),
        },
        request.session!.user.userName,
      );
      return full(request, reply, user.userName, userEditor(user, 'Saved.'), '/users');
    } catch (error) {
      if (!isRosterError(error)) throw error;
      const user = await findUserByName(app.store, name);
      if (!user) return full(request, reply, 'Not found', problemView(error.message), '/users', 404);
      return full(request, reply, user.userName, userEditor(user, undefined, error.message), '/users', invalid(request));
    }
  });

  const pendingAnswer = (answer: (name: string, actor: string) => Promise<unknown>, done: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const name = (request.params as { userName: string }).userName;
    try {
      await answer(name, `console:${request.session!.user.userName}`);
      const user = await findUserByName(app.store, name);
      return user ? full(request, reply, user.userName, userEditor(user, done), '/users') : full(request, reply, 'Users', html`<p class="notice">${done}</p>`, '/users');
    } catch (error) {
      if (!isRosterError(error)) throw error;
      return full(request, reply, 'Users', problemView(error.message), '/users', invalid(request));
    }
  };
  server.post(
    '/users/:userName/keep',
    { preHandler: guard('admin') },
    pendingAnswer((name, actor) => keepPendingUser(app.store, name, actor), 'Kept as a manual user.'),
  );
  server.post(
    '/users/:userName/delete-now',
    { preHandler: guard('admin') },
    pendingAnswer((name, actor) => deletePendingUserNow(app.store, name, actor), 'User deleted.'),
  );
  await registerWebhookPages(server, app, { guard, full, invalid });

  server.post('/users/:userName/sync', { preHandler: guard('admin') }, async (request, reply) => {
    const name = (request.params as { userName: string }).userName;
    try {
      return send(reply, reportView(await syncNow(app, { trigger: `console:${request.session!.user.userName}`, user: name })));
    } catch (error) {
      if (!isRosterError(error)) throw error;
      return send(reply, problemView(`${error.message} [${error.code}]`));
    }
  });

  const storedForm = async () => {
    const settings = await storedSettingsIfAny(app.store);
    return { values: valuesFromSettings(settings), passwordSet: settings !== undefined };
  };
  server.get('/directory', { preHandler: guard('admin') }, async (request, reply) => {
    const { values, passwordSet } = await storedForm();
    return full(
      request,
      reply,
      'Directory Services',
      html`<h1>Directory Services</h1>
        ${settingsForm(values, [], { passwordSet })}
        <div id="result"></div>
        ${explainForm()}
        <div id="explanation"></div>`,
      '/directory',
    );
  });
  server.post('/directory/preset', { preHandler: guard('admin') }, async (request, reply) => {
    const values = valuesFromForm(request.body as Body);
    return send(reply, settingsForm(applyPreset(values, String(values.preset ?? '')), [], { passwordSet: (await storedForm()).passwordSet }));
  });
  server.post('/directory/save', { preHandler: guard('admin') }, async (request, reply) => {
    const values = valuesFromForm(request.body as Body);
    const { passwordSet } = await storedForm();
    try {
      const settings = await saveSettings(app, settingsInput(values));
      return send(reply, settingsForm(valuesFromSettings(settings), [], { passwordSet: true, notice: 'Settings saved.' }));
    } catch (error) {
      if (!isRosterError(error)) throw error;
      const issues = Array.isArray(error.details) ? (error.details as FieldIssue[]) : [{ path: '(root)', message: error.message }];
      return send(reply, settingsForm(values, issues, { passwordSet }), invalid(request));
    }
  });
  // Both run as background jobs (admin/jobs.ts): the answer is the job's progress, which polls until the report.
  server.post('/directory/test', { preHandler: guard('admin') }, async (request, reply) => {
    try {
      const input = settingsInput(valuesFromForm(request.body as Body));
      await settingsFromInput(app.store, input);
      return send(reply, jobView(app.jobs.start('test', (onProgress) => testSettings(app.store, input, onProgress))));
    } catch (error) {
      if (!isRosterError(error)) throw error;
      return send(reply, problemView(error.code === 'CONFIG_INVALID' ? `${error.message} (save the settings to see each problem next to its field)` : error.message));
    }
  });
  server.post('/directory/sync', { preHandler: guard('admin') }, async (request, reply) => {
    const trigger = `console:${request.session!.user.userName}`;
    return send(reply, jobView(app.jobs.start('sync', (onProgress) => syncNow(app, { trigger, onProgress }))));
  });
  server.get('/directory/jobs/:id', { preHandler: guard('admin') }, async (request, reply) => {
    const job = app.jobs.get((request.params as { id: string }).id);
    if (!job) return send(reply, problemView('This test or synchronization is no longer known (the server restarted, or it finished long ago); see the history.'), 404);
    if (job.status === 'running') return send(reply, jobView(job));
    if (job.status === 'failed') return send(reply, problemView(`${job.error!.message} [${job.error!.code}]`));
    return send(reply, reportView(job.report!, job.id));
  });
  server.get('/directory/jobs/:id/:section', { preHandler: guard('admin') }, async (request, reply) => {
    const { id, section } = request.params as { id: string; section: string };
    const job = app.jobs.get(id);
    if (!job?.report || !isSectionName(section)) return send(reply, problemView('There is no such report table.'), 404);
    return send(reply, sectionPage(job.report, section, Number((request.query as Body).from) || 0, job.id));
  });
  server.get('/directory/explain', { preHandler: guard('admin') }, async (request, reply) => {
    const name = String((request.query as Body).name ?? '');
    const fragment = request.headers['hx-request'] && request.headers['hx-target'] === 'explanation';
    try {
      const view = explanationView(await explainUser(app.store, name));
      return fragment
        ? send(reply, view)
        : full(
            request,
            reply,
            `Explain ${name}`,
            html`<h1>Directory Services</h1>
              ${explainForm(name)}${view}`,
            '/directory',
          );
    } catch (error) {
      if (!isRosterError(error)) throw error;
      const problem = html`<section id="explanation">${problemView(`${error.message} [${error.code}]`)}</section>`;
      return fragment
        ? send(reply, problem)
        : full(
            request,
            reply,
            'Explain',
            html`<h1>Directory Services</h1>
              ${explainForm(name)}${problem}`,
            '/directory',
            error.status,
          );
    }
  });

  server.get('/runs', { preHandler: guard('admin') }, async (request, reply) =>
    full(request, reply, 'Synchronization history', runsPage(await recentRuns(app.store, 100)), '/runs'),
  );
  server.get('/runs/:id', { preHandler: guard('admin') }, async (request, reply) => {
    const id = Number((request.params as { id: string }).id) || 0;
    try {
      const run = await runSummary(app.store, id);
      const page = await listRunChanges(app.store, id, request.query);
      if (request.headers['hx-request'] && request.headers['hx-target'] === 'changes-list') return send(reply, changesList(run, page));
      return full(request, reply, `Run #${run.id}`, runPage(run, page), '/runs');
    } catch (error) {
      if (!isRosterError(error) || (error.code !== 'NOT_FOUND' && error.code !== 'INPUT_INVALID')) throw error;
      return full(
        request,
        reply,
        error.code === 'NOT_FOUND' ? 'Not found' : 'Invalid',
        problemView(error.code === 'NOT_FOUND' ? 'There is no such run.' : error.message),
        '/runs',
        error.code === 'NOT_FOUND' ? 404 : 400,
      );
    }
  });
}
