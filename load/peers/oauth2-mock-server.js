#!/usr/bin/env node
// Starts the npm package oauth2-mock-server on 127.0.0.1:PORT with a fresh RS256 key, for
// `mockidp bench --flavor oauth2-mock-server` (see compare.sh).
//
//   PEERS_DIR=/where/npm/installed node oauth2-mock-server.js PORT
//
// PEERS_DIR is the directory holding node_modules (default: this script's directory).
// oauth2-mock-server has no sign-in page: /authorize redirects straight back with a code.
'use strict';

const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const port = Number(process.argv[2] || 8080);
const base = process.env.PEERS_DIR || __dirname;

(async () => {
  const resolve = createRequire(path.join(base, 'package.json')).resolve;
  const { OAuth2Server } = await import(pathToFileURL(resolve('oauth2-mock-server')).href);
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(port, '127.0.0.1');
  console.log(`oauth2-mock-server ready: issuer ${server.issuer.url}`);
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})().catch((err) => {
  console.error('oauth2-mock-server:', err);
  process.exit(1);
});
