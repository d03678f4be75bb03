// A faithful local stand-in for GitHub's OAuth web flow (authorization code grant), for the
// integration tests: we cannot reach GitHub from tests, so this serves the same three
// endpoints with the same shapes and failure modes, using Node's `http` module only.
//
//   GET  /login/oauth/authorize?client_id&redirect_uri&state&scope
//        -> 302 to redirect_uri?code=<random>&state=<state>, as GitHub does once the user
//           has approved the app (there is no consent page here); unknown client -> 400.
//   POST /login/oauth/access_token   (form body or JSON; Accept: application/json)
//        -> 200 {"access_token":"gho_...","token_type":"bearer","scope":...}; a wrong
//           client, secret, unknown or reused code, or a redirect_uri different from the
//           authorize one -> 200 {"error":"...","error_description":"..."}, like GitHub.
//   GET  /user   with `Authorization: Bearer <token>` (or `token <token>`)
//        -> 200 the configured user {id, login, name, avatar_url, email};
//           missing or bad token -> 401 {"message":"Bad credentials"}.
//
// `requests` logs `{ method, path }` of every call so tests can assert the server really
// exchanged the code and fetched the profile.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const DOCS = 'https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps';

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// GitHub accepts the token request parameters as a form body, as JSON, or in the query.
function tokenParams(req, url, body) {
  const params = Object.fromEntries(url.searchParams);
  const type = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') {
    try {
      Object.assign(params, JSON.parse(body || '{}'));
    } catch {
      // leave params as they are: the checks below report what is missing
    }
  } else if (body) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
  }
  return params;
}

function tokenError(res, error, description) {
  sendJson(res, 200, { error, error_description: description, error_uri: DOCS });
}

/**
 * Starts the provider on 127.0.0.1 with an ephemeral port.
 * @param {{clientId: string, clientSecret: string,
 *          user: {id: number, login: string, name?: string|null,
 *                 avatar_url?: string|null, email?: string|null}}} options
 */
export async function startProvider({ clientId, clientSecret, user }) {
  const codes = new Map(); // code -> { redirectUri, scope }
  const tokens = new Map(); // access token -> scope
  const requests = [];

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://provider.local');
      requests.push({ method: req.method, path: url.pathname });
      const body = await readBody(req);

      if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
        const q = url.searchParams;
        if (q.get('client_id') !== clientId) {
          res.writeHead(400, { 'Content-Type': 'text/plain' });
          res.end('unknown client_id');
          return;
        }
        const redirectUri = q.get('redirect_uri');
        let target;
        try {
          target = new URL(redirectUri);
        } catch {
          res.writeHead(400, { 'Content-Type': 'text/plain' });
          res.end('invalid redirect_uri');
          return;
        }
        const code = randomBytes(10).toString('hex');
        codes.set(code, { redirectUri, scope: q.get('scope') || '' });
        target.searchParams.set('code', code);
        if (q.has('state')) target.searchParams.set('state', q.get('state'));
        res.writeHead(302, { Location: target.toString(), 'Content-Length': 0 });
        res.end();
        return;
      }

      if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
        const p = tokenParams(req, url, body);
        if (p.client_id !== clientId || p.client_secret !== clientSecret) {
          tokenError(res, 'incorrect_client_credentials',
                     'The client_id and/or client_secret passed are incorrect.');
          return;
        }
        const grant = codes.get(p.code);
        if (!grant) {
          tokenError(res, 'bad_verification_code', 'The code passed is incorrect or expired.');
          return;
        }
        codes.delete(p.code); // single use, even when the rest of the request is wrong
        if (p.redirect_uri !== undefined && p.redirect_uri !== grant.redirectUri) {
          tokenError(res, 'redirect_uri_mismatch',
                     'The redirect_uri MUST match the registered callback URL for this '
                     + 'application.');
          return;
        }
        const accessToken = `gho_${randomBytes(18).toString('hex')}`;
        const scope = grant.scope || 'read:user';
        tokens.set(accessToken, scope);
        sendJson(res, 200, { access_token: accessToken, token_type: 'bearer', scope });
        return;
      }

      if (req.method === 'GET' && url.pathname === '/user') {
        const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(req.headers.authorization || '');
        if (!m || !tokens.has(m[1])) {
          sendJson(res, 401, {
            message: 'Bad credentials',
            documentation_url: 'https://docs.github.com/rest',
          });
          return;
        }
        sendJson(res, 200, {
          id: user.id,
          login: user.login,
          name: user.name ?? null,
          avatar_url: user.avatar_url ?? null,
          email: user.email ?? null,
        });
        return;
      }

      sendJson(res, 404, { message: 'Not Found' });
    } catch (err) {
      if (!res.headersSent) sendJson(res, 500, { message: String(err) });
      else res.destroy();
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    authorizeUrl: `${url}/login/oauth/authorize`,
    tokenUrl: `${url}/login/oauth/access_token`,
    userUrl: `${url}/user`,
    requests,
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}
