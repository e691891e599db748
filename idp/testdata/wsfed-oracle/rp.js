'use strict';
// A WS-Federation relying party: passport-wsfed-saml2's Strategy, unmodified, driven without
// Express. GET /login answers the Strategy's redirect to the IdP (wa=wsignin1.0); POST
// /callback hands the posted wa/wresult/wctx to the Strategy, which verifies the token
// (signature with the configured certificate, NotBefore/NotOnOrAfter, Audience = realm) and
// answers {"ok":true,"user":{...claims}} or {"ok":false,"error":"..."} with 401.
//
// Configuration (environment): WSFED_REALM, WSFED_IDP_URL (the mock's /{tenant}/wsfed),
// WSFED_CERT (the app's signing certificate, base64 DER), WSFED_REPLY (the callback URL, sent
// as wreply), PORT (0 or absent: a free one). It listens on 127.0.0.1 and prints "listening <port>".
const http = require('http');
const qs = require('querystring');
const { Strategy } = require('passport-wsfed-saml2');

const reply = process.env.WSFED_REPLY || '';
const strategy = new Strategy({
  realm: process.env.WSFED_REALM,
  identityProviderUrl: process.env.WSFED_IDP_URL,
  cert: process.env.WSFED_CERT,
  wreply: reply,
  homeRealm: '',
  recipientUrl: reply,
}, (profile, done) => done(null, profile));

function answer(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function authenticate(req, res, body) {
  // What passport's middleware adds to a strategy for one request.
  const s = Object.create(strategy);
  s.success = (user) => answer(res, 200, { ok: true, user });
  s.fail = (challenge, status) => answer(res, status || 401, {
    ok: false, error: String((challenge && challenge.message) || challenge),
  });
  s.error = (err) => answer(res, 401, { ok: false, error: String((err && err.message) || err) });
  s.redirect = (url) => { res.writeHead(302, { Location: url }); res.end(); };
  s.pass = () => answer(res, 500, { ok: false, error: 'pass' });
  req.body = body;
  try {
    s.authenticate(req, {});
  } catch (e) {
    answer(res, 500, { ok: false, error: String(e && e.message) });
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/login')) {
    authenticate(req, res, {});
    return;
  }
  if (req.method === 'POST' && req.url.startsWith('/callback')) {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { data += c; });
    req.on('end', () => authenticate(req, res, qs.parse(data)));
    return;
  }
  answer(res, 404, { ok: false, error: 'not found' });
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write('listening ' + server.address().port + '\n');
});
process.stdin.on('end', () => process.exit(0)); // the test closes stdin to stop it
process.stdin.resume();
