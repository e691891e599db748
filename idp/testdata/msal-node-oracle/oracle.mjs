// Microsoft's @azure/msal-node, unmodified, against the mock IdP: auth code + PKCE (public
// client), refresh (acquireTokenSilent with forceRefresh), client credentials (confidential
// client) and device code. Driven by idp/msal_node_test.go over stdin/stdout, one JSON
// object per line: the script prints {"step": ...} records; the Go test answers the auth
// code step with {"code": ...} and approves the device code in its own browser.
//
// Instance discovery stays on: MSAL asks https://login.microsoftonline.com/common/discovery/instance
// about the mock's authority host, so the network client (MSAL's documented
// system.networkClient hook) sends Entra's host to the mock, as a hosts file would; the
// mock's CA comes in through NODE_EXTRA_CA_CERTS and MOCK_CA.
//
// Environment: AUTHORITY (https://host:port/{tenant}), PUBLIC_CLIENT_ID, REDIRECT_URI,
// CONFIDENTIAL_CLIENT_ID, CLIENT_SECRET, APP_SCOPE (e.g. api://{appId}/.default), MOCK_CA.
import https from "node:https";
import fs from "node:fs";
import readline from "node:readline";
import crypto from "node:crypto";
import { PublicClientApplication, ConfidentialClientApplication, CryptoProvider } from "@azure/msal-node";

const env = process.env;
const mock = new URL(env.AUTHORITY);
const ca = fs.readFileSync(env.MOCK_CA);
const seen = []; // paths asked of login.microsoftonline.com

function out(rec) {
    process.stdout.write(JSON.stringify(rec) + "\n");
}

function send(method, url, options = {}) {
    const u = new URL(url);
    if (u.host === "login.microsoftonline.com") {
        seen.push(u.pathname);
        u.host = mock.host;
    }
    return new Promise((resolve, reject) => {
        const req = https.request(u, { method, headers: options.headers || {}, ca }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let body = {};
                try {
                    body = JSON.parse(text);
                } catch {
                    body = {};
                }
                const headers = {};
                for (const [k, v] of Object.entries(res.headers)) {
                    headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
                }
                resolve({ headers, body, status: res.statusCode });
            });
        });
        req.on("error", reject);
        if (options.body) {
            req.write(options.body);
        }
        req.end();
    });
}

const networkClient = {
    sendGetRequestAsync: (url, options) => send("GET", url, options),
    sendPostRequestAsync: (url, options) => send("POST", url, options),
};

const lines = readline.createInterface({ input: process.stdin });
const pending = [];
lines.on("line", (l) => {
    const w = pending.shift();
    if (w) w(JSON.parse(l));
});
const nextLine = () => new Promise((resolve) => pending.push(resolve));

function tokens(step, r) {
    out({ step, idToken: r.idToken || "", accessToken: r.accessToken, homeAccountId: r.account ? r.account.homeAccountId : "",
        username: r.account ? r.account.username : "", scopes: r.scopes, fromCache: r.fromCache });
}

async function main() {
    const system = { networkClient };
    const pca = new PublicClientApplication({ auth: { clientId: env.PUBLIC_CLIENT_ID, authority: env.AUTHORITY }, system });

    // Authorization code + PKCE.
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const state = crypto.randomUUID();
    const url = await pca.getAuthCodeUrl({ scopes: ["User.Read"], redirectUri: env.REDIRECT_URI, codeChallenge: challenge, codeChallengeMethod: "S256", state });
    out({ step: "authurl", url });
    const { code } = await nextLine();
    const byCode = await pca.acquireTokenByCode({ code, scopes: ["User.Read"], redirectUri: env.REDIRECT_URI, codeVerifier: verifier, state });
    tokens("authcode", byCode);

    // Refresh: forceRefresh sends the cached refresh token to /token.
    const refreshed = await pca.acquireTokenSilent({ account: byCode.account, scopes: ["User.Read"], forceRefresh: true });
    tokens("refresh", refreshed);

    // Client credentials.
    const cca = new ConfidentialClientApplication({ auth: { clientId: env.CONFIDENTIAL_CLIENT_ID, authority: env.AUTHORITY, clientSecret: env.CLIENT_SECRET }, system });
    const app = await cca.acquireTokenByClientCredential({ scopes: [env.APP_SCOPE] });
    tokens("clientcredentials", app);

    // Device code: the Go test approves in its browser what the callback prints.
    const pca2 = new PublicClientApplication({ auth: { clientId: env.PUBLIC_CLIENT_ID, authority: env.AUTHORITY }, system });
    const byDevice = await pca2.acquireTokenByDeviceCode({
        scopes: ["User.Read"],
        deviceCodeCallback: (r) => out({ step: "devicecode", userCode: r.userCode, verificationUri: r.verificationUri, message: r.message, interval: r.interval, expiresIn: r.expiresIn }),
    });
    tokens("devicetoken", byDevice);
    out({ step: "done", discovery: seen });
}

main().then(
    () => process.exit(0),
    (e) => {
        out({ step: "error", message: String(e && (e.stack || e.message || e)), errorCode: e && e.errorCode });
        process.exit(1);
    },
);
