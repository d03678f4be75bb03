import { defineConfig, type ProxyOptions } from 'vite';

// Where `npm run dev` and `vite preview` forward the API: a running Relay
// (`make run` listens on 127.0.0.1:8080). The browser suite sets RELAY_URL to the
// server it started.
const relay = process.env.RELAY_URL ?? 'http://127.0.0.1:8080';
const apiPaths = ['/api', '/auth', '/v1', '/metrics', '/hooks'];

function proxyTo(rewriteOrigin: boolean): Record<string, ProxyOptions> {
  const options: ProxyOptions = { target: relay, ws: true };
  // Relay refuses cookie sessions from origins it does not allow (docs/api.md). The dev
  // server is another origin than Relay's own; rather than make every developer pass
  // --allowed-origins, it presents its requests as Relay's. The preview server does not:
  // the browser suite starts Relay with --allowed-origins so the check stays real.
  if (rewriteOrigin) {
    options.configure = (proxy) => {
      const origin = new URL(relay).origin;
      proxy.on('proxyReq', (req) => { if (req.getHeader('origin')) req.setHeader('origin', origin); });
      proxy.on('proxyReqWs', (req) => { if (req.getHeader('origin')) req.setHeader('origin', origin); });
    };
  }
  return Object.fromEntries(apiPaths.map((p) => [p, options]));
}

// The policy issue 21 asks Relay to serve the client with. The preview server (what the
// browser suite uses until Relay serves web/dist) sends it too, so a change that needs
// inline script or a foreign host fails the suite rather than production. Its img-src
// names the avatar host Relay allows by default (`avatar_hosts`).
const csp = "default-src 'self'; connect-src 'self'; "
  + "img-src 'self' data: https://avatars.githubusercontent.com; base-uri 'none'; "
  + "frame-ancestors 'none'; form-action 'self'";

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { target: 'es2022', assetsDir: 'assets' },
  server: { proxy: proxyTo(true) },
  preview: { proxy: proxyTo(false), headers: { 'Content-Security-Policy': csp } },
});
