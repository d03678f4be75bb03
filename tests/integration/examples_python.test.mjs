// examples/python (Python `websockets`, Debian's python3-websockets): the echo agent and
// the `ask` app, run unchanged against the real server and against each other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRelay } from './harness.mjs';
import {
  addAgent, addApp, connectApp, waitOnline, withTimeout,
} from './agent_helpers.mjs';

const PYTHON = process.env.RELAY_PYTHON || '/usr/bin/python3';
const dir = fileURLToPath(new URL('../../examples/python/', import.meta.url));
let relay;

before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

function startAgent(t, agent) {
  const child = spawn(PYTHON, [`${dir}echo_agent.py`], {
    env: { ...process.env, RELAY_URL: relay.wsUrl, RELAY_AGENT_TOKEN: agent.token, ECHO_TOKEN_DELAY_MS: '5' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    child.kill('SIGTERM');
    await withTimeout(exited, 5000, 'echo_agent.py exit').catch(() => child.kill('SIGKILL'));
  });
  return () => log;
}

function ask(app, agentId, text) {
  return new Promise((resolve) => {
    execFile(PYTHON, [`${dir}ask.py`, agentId, text], {
      env: { ...process.env, RELAY_URL: relay.wsUrl, RELAY_APP_TOKEN: app.token },
      timeout: 20000,
    }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

test('ask.py gets the Python echo agent\'s tokens streamed, then its reply', async (t) => {
  const agent = await addAgent(relay);
  const app = await addApp(relay, [agent.id]);
  const log = startAgent(t, agent);
  const ap = await connectApp(t, relay, app);
  await waitOnline(ap, agent.id).catch((e) => { throw new Error(`${e.message}\n${log()}`); });

  const r = await ask(app, agent.id, 'hello from python');
  assert.equal(r.code, 0, `${r.stderr}\n${log()}`);
  assert.equal(r.stdout, 'hello from python\n');
  assert.match(r.stderr, /\[3 tokens, \d+ ms\]/);
});

test('ask.py reports a refused event from its only answer, the error, and exits 1', async (t) => {
  const agent = await addAgent(relay);
  const app = await addApp(relay, []); // not allowed to address the agent
  const log = startAgent(t, agent);
  // discover answers an app only the agents it may address: another app watches.
  const ap = await connectApp(t, relay, await addApp(relay, [agent.id]));
  await waitOnline(ap, agent.id).catch((e) => { throw new Error(`${e.message}\n${log()}`); });

  const r = await ask(app, agent.id, 'anyone?');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^refused: AGENT_NOT_ALLOWED: /m, r.stderr);
  assert.equal(r.stdout, '');

  // Allowed but not connected: refused the same way.
  const away = await addAgent(relay);
  const app2 = await addApp(relay, [away.id]);
  const r2 = await ask(app2, away.id, 'hello?');
  assert.equal(r2.code, 1, r2.stderr);
  assert.match(r2.stderr, /^refused: AGENT_OFFLINE: /m, r2.stderr);
  assert.equal(r2.stdout, '');
});
