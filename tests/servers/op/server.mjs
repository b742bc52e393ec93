// The test authorization server: oidc-provider on 127.0.0.1 with everything
// mailkey needs (auth code + PKCE S256, loopback redirects for native apps,
// refresh-token rotation, device grant, introspection, revocation, RFC 8414
// metadata, RFC 9207 iss). Configuration comes from the environment so that
// tests/servers/up can pick ports and lifetimes per run.
//
// Redirect URIs: clients are registered with http://127.0.0.1/callback and
// http://localhost/callback. For native clients oidc-provider ignores the
// port of loopback redirect URIs (RFC 8252 §7.3) but compares the path
// exactly, so a client must use the path /callback.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const env = (name, dflt) => process.env[name] ?? dflt;
const port = Number(env('MK_OP_PORT', '0'));
const issuer = `http://127.0.0.1:${port}`;
const shortTtl = Number(env('MK_SHORT_TTL', '20'));
const deviceInterval = Number(env('MK_DEVICE_INTERVAL', '1'));
const users = new Set(['alice@example.test', 'bob@example.test']);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-1', use: 'sig', alg: 'RS256' };

const loopback = ['http://127.0.0.1/callback', 'http://localhost/callback'];
const nativeClient = (id) => ({
  client_id: id,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  redirect_uris: loopback,
  grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  response_types: ['code'],
});

const configuration = {
  jwks: { keys: [jwk] },
  cookies: { keys: ['mailkey-test-cookie-key'] },
  clients: [
    nativeClient('mailclient'),
    nativeClient('shortlived'),
    {
      ...nativeClient('confclient'),
      client_secret: readFileSync(env('MK_CONF_CLIENT_SECRET_FILE'), 'utf8').trim(),
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'dovecot',
      client_secret: readFileSync(env('MK_INTROSPECT_SECRET_FILE'), 'utf8').trim(),
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
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    if (!users.has(id)) return undefined;
    return { accountId: id, claims: () => ({ sub: id, email: id, email_verified: true }) };
  },
  // Dovecot's passdb oauth2 matches the SASL user against this field of the
  // introspection response (username_attribute = email).
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

// Counters for tests: token-endpoint requests by grant type and outcome.
const counts = { token: 0, byGrant: {}, success: 0, error: 0, revocation: 0, introspection: 0 };
const bump = (k) => { counts.byGrant[k] = (counts.byGrant[k] ?? 0) + 1; };
provider.on('grant.success', (ctx) => { counts.success += 1; bump(ctx.oidc.params?.grant_type ?? '?'); });
provider.on('grant.error', (ctx) => { counts.error += 1; bump(`${ctx.oidc?.params?.grant_type ?? '?'}:error`); });

provider.use(async (ctx, next) => {
  if (ctx.path === '/admin/counts' && ctx.method === 'GET') {
    ctx.type = 'json';
    ctx.body = counts;
    return;
  }
  if (ctx.path === '/admin/reset-counts' && ctx.method === 'POST') {
    Object.assign(counts, { token: 0, byGrant: {}, success: 0, error: 0, revocation: 0, introspection: 0 });
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/token') counts.token += 1;
  if (ctx.method === 'POST' && ctx.path === '/token/revocation') counts.revocation += 1;
  if (ctx.method === 'POST' && ctx.path === '/token/introspection') counts.introspection += 1;
  // RFC 8414 metadata: the same document as the OpenID configuration.
  if (ctx.path === '/.well-known/oauth-authorization-server') ctx.path = '/.well-known/openid-configuration';
  await next();
  // oidc-provider sends no `interval` (RFC 8628 §3.2 then means 5 s); a short
  // one keeps device-flow tests fast and exercises the client's handling.
  if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    ctx.body = { ...ctx.body, interval: deviceInterval };
  }
});

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider listening on ${issuer}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
