// The test authorization server: oidc-provider 9 on 127.0.0.1 with everything
// mailkey needs (auth code + PKCE S256, loopback redirects for native apps,
// refresh-token rotation, device grant, introspection, revocation, RFC 8414
// metadata, RFC 9207 `iss` in authorization responses). Started by
// tests/servers/up, which passes ports, lifetimes and secret files in the
// environment.
//
// Redirect URIs. Every native client is registered with
//   http://127.0.0.1/callback  http://localhost/callback  http://[::1]/callback
// For application_type "native", oidc-provider drops the port of an http
// loopback redirect URI (hosts localhost, 127.0.0.1, [::1]) on both sides and
// then compares the rest as an exact string (RFC 8252 §7.3). So:
//   - any port is accepted, including none;
//   - the host must be written exactly as registered (127.0.0.1, localhost or
//     [::1]); other 127.x addresses and https are refused;
//   - the path must be exactly /callback (no prefix match, no trailing slash),
//     and the URI must carry no query or fragment.
// Anything else gets 400 invalid_redirect_uri on the provider's own page
// (no redirect to the client).
//
// Users: alice@example.test and bob@example.test; the login form accepts any
// password. accountId = sub = mail address, and access tokens carry an
// `email` claim in the introspection response (Dovecot matches it against
// the SASL user).
//
// Admin routes for tests, on the same port:
//   GET  /admin/counts        JSON counters (see `counts` below)
//   POST /admin/reset-counts  zero them
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const env = (name, dflt) => process.env[name] ?? dflt;
const port = Number(env('MK_OP_PORT', '0'));
const issuer = `http://127.0.0.1:${port}`;
const shortTtl = Number(env('MK_SHORT_TTL', '20'));
const deviceInterval = Number(env('MK_DEVICE_INTERVAL', '1'));
const users = new Set(['alice@example.test', 'bob@example.test']);
const secret = (name) => readFileSync(env(name), 'utf8').trim();

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-1', use: 'sig', alg: 'RS256' };

const loopback = ['http://127.0.0.1/callback', 'http://localhost/callback', 'http://[::1]/callback'];
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const nativeClient = (id) => ({
  client_id: id,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  redirect_uris: loopback,
  grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
  response_types: ['code'],
});

const configuration = {
  jwks: { keys: [jwk] },
  cookies: { keys: ['mailkey-test-cookie-key'] },
  clients: [
    // The public native client mailkey uses by default.
    nativeClient('mailclient'),
    // Same, but its access tokens live MK_SHORT_TTL seconds.
    nativeClient('shortlived'),
    // Same, but its ID tokens name nobody (sub only, no email): who
    // consented is only in the userinfo answer, as with some providers.
    nativeClient('userinfoclient'),
    // A confidential client (secret in MK_CONF_CLIENT_SECRET_FILE), HTTP
    // Basic only: oidc-provider accepts exactly the registered method.
    {
      ...nativeClient('confclient'),
      client_secret: secret('MK_CONF_CLIENT_SECRET_FILE'),
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // Dovecot's resource-server client: introspection only, by POST body
    // (Dovecot's introspection_mode = post sends client_id/client_secret).
    {
      client_id: 'dovecot',
      client_secret: secret('MK_INTROSPECT_SECRET_FILE'),
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  scopes: ['openid', 'offline_access', 'email', 'mail'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // The ID token from the token endpoint carries the claims of the granted
  // scopes (email for "openid email"), as most providers do; mailkey checks
  // there who consented. (oidc-provider's default puts them in userinfo only.)
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    if (!users.has(id)) return undefined;
    const bare = ctx.oidc?.client?.clientId === 'userinfoclient';
    return {
      accountId: id,
      claims: (use) => (use === 'id_token' && bare ? { sub: id } : { sub: id, email: id, email_verified: true }),
    };
  },
  // Copied into the introspection response: Dovecot's username_attribute.
  extraTokenClaims(ctx, token) {
    if (token.kind === 'AccessToken') return { email: token.accountId };
    return undefined;
  },
  ttl: {
    AccessToken: (ctx, token, client) => (client?.clientId === 'shortlived' ? shortTtl : 3600),
    AuthorizationCode: 60,
    DeviceCode: 600,
    Grant: 14 * 86400,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 14 * 86400,
    Session: 14 * 86400,
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;

// Counters for tests.
//   token            POST /token requests, whatever the outcome
//   authorization_code, refresh_token, device_code
//                    POST /token requests by grant_type, whatever the outcome
//   byGrant          successes by grant_type, and failures as "<grant_type>:error"
//   success, error   token-endpoint outcomes
//   authorization    GET/POST /auth requests (new authorization requests)
//   device_authorization, revocation, introspection   requests to those endpoints
const zero = () => ({
  token: 0, authorization_code: 0, refresh_token: 0, device_code: 0,
  byGrant: {}, success: 0, error: 0,
  authorization: 0, device_authorization: 0, revocation: 0, introspection: 0,
});
const counts = zero();
const bump = (k) => { counts.byGrant[k] = (counts.byGrant[k] ?? 0) + 1; };
const grantKey = (g) => (g === DEVICE_GRANT ? 'device_code' : g);
provider.on('grant.success', (ctx) => { counts.success += 1; bump(ctx.oidc.params?.grant_type ?? '?'); });
provider.on('grant.error', (ctx) => { counts.error += 1; bump(`${ctx.oidc?.params?.grant_type ?? '?'}:error`); });

// The provider's built-in HTML pages (dev login/consent, device flow) pull a
// web font from the internet with a CSS @import. Tests must not make a
// browser reach out, so it is removed from every page served here.
const fontImport = /@import url\(https?:\/\/[^)]*\);?/g;

provider.use(async (ctx, next) => {
  const t0 = Date.now();
  if (ctx.path === '/admin/counts' && ctx.method === 'GET') {
    ctx.type = 'json';
    ctx.body = counts;
    return;
  }
  if (ctx.path === '/admin/reset-counts' && ctx.method === 'POST') {
    Object.assign(counts, zero());
    ctx.status = 204;
    return;
  }
  const post = ctx.method === 'POST';
  if (post && ctx.path === '/token') counts.token += 1;
  if (post && ctx.path === '/token/revocation') counts.revocation += 1;
  if (post && ctx.path === '/token/introspection') counts.introspection += 1;
  if (post && ctx.path === '/device/auth') counts.device_authorization += 1;
  if (ctx.path === '/auth') counts.authorization += 1;
  await next();
  if (post && ctx.path === '/token') {
    const g = grantKey(ctx.oidc?.params?.grant_type);
    if (g in counts && typeof counts[g] === 'number') counts[g] += 1;
  }
  // oidc-provider sends no `interval` (RFC 8628 §3.2: the client must then
  // wait 5 s) and never answers slow_down. A short interval keeps device-flow
  // tests fast and exercises the client's handling of the field.
  if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object' && deviceInterval > 0) {
    ctx.body = { ...ctx.body, interval: deviceInterval };
  }
  if (typeof ctx.body === 'string' && ctx.body.includes('@import')) {
    ctx.body = ctx.body.replace(fontImport, '');
  }
  const line = `${new Date().toISOString()} ${ctx.method} ${ctx.path} ${ctx.status} ${Date.now() - t0}ms` +
    `${ctx.oidc?.params?.grant_type ? ` grant_type=${ctx.oidc.params.grant_type}` : ''}` +
    `${ctx.oidc?.client?.clientId ? ` client=${ctx.oidc.client.clientId}` : ''}`;
  process.stdout.write(`${line}\n`);
});

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider listening on ${issuer}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
