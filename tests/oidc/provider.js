// A real OpenID Connect provider for Marea's login tests, built on `oidc-provider`.
//
// It is never used in production. It listens on 127.0.0.1 on a port the system picks, then prints
// one line `READY <issuer>` so the test fixture knows where it is. Configuration comes from the
// environment:
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET   the one client (Marea)
//   OIDC_REDIRECT_URIS                   space-separated callback URLs Marea may use
//   OIDC_USERS                           optional JSON {login: {email, email_verified, name}}
// Logins come from oidc-provider's development interactions (a plain HTML form that accepts any
// login and password); consent is granted automatically, as a first-party provider would.

import http from 'node:http';

import Provider from 'oidc-provider';

const required = (name) => {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`provider.js: set ${name}\n`);
    process.exit(2);
  }
  return value;
};

const clientId = required('OIDC_CLIENT_ID');
const clientSecret = required('OIDC_CLIENT_SECRET');
const redirectUris = required('OIDC_REDIRECT_URIS').split(/\s+/).filter(Boolean);

// Who can log in. Any other login works too and gets `<login>@oidc.test`, verified.
const users = {
  alice: { email: 'alice@example.org', email_verified: true, name: 'Alice Marinaro' },
  ...JSON.parse(process.env.OIDC_USERS || '{}'),
};

const profileOf = (login) => users[login] || {
  email: `${login}@oidc.test`, email_verified: true, name: login,
};

const server = http.createServer();

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, ...profileOf(sub) };
        },
      };
    },
    // Grant whatever the client asks, so a login needs only the login form.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
